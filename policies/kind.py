QUOTE_FOLLOW_UP = "quote_follow_up"
