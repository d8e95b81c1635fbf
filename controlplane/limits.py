from shared.limits import make_limiter, setting

limiter = make_limiter()
limit_signup = limiter.limit(setting("rate_limit_signup"))
limit_login = limiter.limit(setting("rate_limit_login"))
