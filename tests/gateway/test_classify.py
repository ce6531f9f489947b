"""Service classification from real-looking panel names, categories and types."""

# The service table below keeps one service per line, so it is exempt from the line limit.
# ruff: noqa: E501

from __future__ import annotations

import string

import pytest

from gateway.classify import (
    Classification,
    Metric,
    OrderType,
    Platform,
    Refill,
    RefillKind,
    Target,
    classify,
    group_key,
    normalise,
    parse_geo,
    parse_order_type,
    parse_refill,
    parse_region,
)

P, M = Platform, Metric
NONE = Refill(RefillKind.NONE)
UNKNOWN = Refill(RefillKind.UNKNOWN)
LIFETIME = Refill(RefillKind.LIFETIME)
UNSPECIFIED = Refill(RefillKind.UNSPECIFIED)
DOUBLE_X = "\N{MATHEMATICAL DOUBLE-STRUCK CAPITAL X}"
# Mathematical bold letters, which panels use to make names stand out.
BOLD = str.maketrans(
    {ch: chr(0x1D400 + i) for i, ch in enumerate(string.ascii_uppercase + string.ascii_lowercase)}
)


def days(n: int) -> Refill:
    return Refill(RefillKind.DAYS, n)


def bold(text: str) -> str:
    return text.translate(BOLD)


Row = tuple[str, str, str, Platform, Metric, Refill, str | None]

# name, category, type, platform, metric, refill, geo
# fmt: off
SERVICES: list[Row] = [
    # Instagram
    ("Instagram Followers | Real | R30", "Instagram Followers", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), None),
    ("🔥 Instagram Followers | ♻️ 30D | 🇺🇸", "Instagram", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), "US"),
    ("Instagram Followers [No Refill] [Max 100K]", "Instagram Followers", "Default", P.INSTAGRAM, M.FOLLOWERS, NONE, None),
    ("Instagram Followers - Lifetime Refill - Instant", "IG", "Default", P.INSTAGRAM, M.FOLLOWERS, LIFETIME, None),
    ("Instagram Followers [Brazil] [R60]", "Instagram Geo", "Default", P.INSTAGRAM, M.FOLLOWERS, days(60), "BR"),
    ("Instagram Followers 🇧🇷 Brazilian | 30 Days Refill", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), "BR"),
    ("Instagram Turkish Followers | Refill 30D", "Instagram Turkey", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), "TR"),
    ("Instagram Indian Followers [NR]", "Instagram India", "Default", P.INSTAGRAM, M.FOLLOWERS, NONE, "IN"),
    ("Instagram Arab Followers | Refill 30 Days", "Instagram Arab", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), None),
    ("Instagram Russian Followers [Non-refill]", "", "Default", P.INSTAGRAM, M.FOLLOWERS, NONE, "RU"),
    ("Instagram Followers UK 🇬🇧 [R30]", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), "GB"),
    ("Instagram Followers USA | Refill: 60 Days", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(60), "US"),
    ("Instagram Followers [Germany] [Refill: No]", "", "Default", P.INSTAGRAM, M.FOLLOWERS, NONE, "DE"),
    ("Instagram French Followers ♻️ 30 days", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), "FR"),
    ("Instagram Followers Italy [Lifetime Guaranteed]", "", "Default", P.INSTAGRAM, M.FOLLOWERS, LIFETIME, "IT"),
    ("Instagram Followers Spain | 90D Refill", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(90), "ES"),
    ("Instagram Followers Indonesia ♻️ R30", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), "ID"),
    ("Instagram Japanese Followers", "", "Default", P.INSTAGRAM, M.FOLLOWERS, UNKNOWN, "JP"),
    ("Instagram Korean Followers [AR30]", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), "KR"),
    ("IG Followers | HQ | Non Drop", "", "Default", P.INSTAGRAM, M.FOLLOWERS, UNKNOWN, None),
    ("Insta Followers Cheapest [R 30]", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), None),
    ("Instagram Likes", "Instagram Likes", "Default", P.INSTAGRAM, M.LIKES, UNKNOWN, None),
    ("Instagram Likes [Real] [No Refill]", "Instagram Likes", "Default", P.INSTAGRAM, M.LIKES, NONE, None),
    ("Instagram Likes | Refill 30D | Max 500K", "Instagram Followers", "Default", P.INSTAGRAM, M.LIKES, days(30), None),
    ("Insta likes | Instant | 10K/Day", "Instagram", "Default", P.INSTAGRAM, M.LIKES, UNKNOWN, None),
    ("Instagram Likes [Female] 🇺🇸 USA", "", "Default", P.INSTAGRAM, M.LIKES, UNKNOWN, "US"),
    ("Instagram Likes from India", "", "Default", P.INSTAGRAM, M.LIKES, UNKNOWN, "IN"),
    ("Instagram Likes in 1 hour [Non Drop]", "", "Default", P.INSTAGRAM, M.LIKES, UNKNOWN, None),
    ("Instagram Likes | Start IN 0-1 Hour", "", "Default", P.INSTAGRAM, M.LIKES, UNKNOWN, None),
    ("Instagram Likes + Impressions", "", "Default", P.INSTAGRAM, M.LIKES, UNKNOWN, None),
    ("Instagram Reel Views", "Instagram Views", "Default", P.INSTAGRAM, M.VIEWS, UNKNOWN, None),
    ("Instagram Reels Views | Instant | Max 10M", "", "Default", P.INSTAGRAM, M.VIEWS, UNKNOWN, None),
    ("Instagram Video Views [All Links]", "", "Default", P.INSTAGRAM, M.VIEWS, UNKNOWN, None),
    ("IGTV Views", "", "Default", P.INSTAGRAM, M.VIEWS, UNKNOWN, None),
    ("Instagram Story Views", "Instagram Story", "Default", P.INSTAGRAM, M.STORY_VIEWS, UNKNOWN, None),
    ("Instagram Story Likes", "Instagram Story", "Default", P.INSTAGRAM, M.LIKES, UNKNOWN, None),
    ("Instagram Comment Likes", "Instagram Comments", "Comment Likes", P.INSTAGRAM, M.LIKES, UNKNOWN, None),
    ("Instagram Comments Likes [Real]", "Instagram Likes", "Default", P.INSTAGRAM, M.LIKES, UNKNOWN, None),
    ("Instagram Custom Comments", "Instagram Comments", "Custom Comments", P.INSTAGRAM, M.COMMENTS, UNKNOWN, None),
    ("Instagram Random Comments [Emoji]", "Instagram Comments", "Default", P.INSTAGRAM, M.COMMENTS, UNKNOWN, None),
    ("Instagram Custom Comments [Arabic]", "Instagram Comments", "Custom Comments", P.INSTAGRAM, M.COMMENTS, UNKNOWN, None),
    ("Instagram Comment Replies", "", "Comment Replies", P.INSTAGRAM, M.COMMENTS, UNKNOWN, None),
    ("Instagram Saves", "Instagram Other", "Default", P.INSTAGRAM, M.SAVES, UNKNOWN, None),
    ("Instagram Shares", "", "Default", P.INSTAGRAM, M.SHARES, UNKNOWN, None),
    ("Instagram Impressions", "", "Default", P.INSTAGRAM, M.IMPRESSIONS, UNKNOWN, None),
    ("Instagram Reach + Impressions", "", "Default", P.INSTAGRAM, M.REACH, UNKNOWN, None),
    ("Instagram Profile Visits", "", "Default", P.INSTAGRAM, M.TRAFFIC, UNKNOWN, None),
    ("Instagram Live Stream Views [30 Minutes]", "", "Default", P.INSTAGRAM, M.STREAMS, UNKNOWN, None),
    ("Instagram Live Video Views", "", "Default", P.INSTAGRAM, M.STREAMS, UNKNOWN, None),
    ("Instagram Live Likes", "", "Default", P.INSTAGRAM, M.LIKES, UNKNOWN, None),
    ("Instagram Auto Likes [Per Post]", "Instagram Auto", "Subscriptions", P.INSTAGRAM, M.LIKES, UNKNOWN, None),
    ("Instagram Auto Views", "Instagram Auto", "Subscriptions", P.INSTAGRAM, M.VIEWS, UNKNOWN, None),
    ("Instagram Mentions [User Followers]", "Instagram Mentions", "Mentions User Followers", P.INSTAGRAM, M.MENTIONS, UNKNOWN, None),
    ("Instagram Mentions Custom List", "", "Mentions Custom List", P.INSTAGRAM, M.MENTIONS, UNKNOWN, None),
    ("Instagram Mentions with Hashtags", "", "Mentions with Hashtags", P.INSTAGRAM, M.MENTIONS, UNKNOWN, None),
    ("Instagram Story Poll Votes", "", "Poll", P.INSTAGRAM, M.VOTES, UNKNOWN, None),
    ("Instagram Followers Package 1000", "Instagram Packages", "Package", P.INSTAGRAM, M.FOLLOWERS, UNKNOWN, None),
    ("Real HQ [R30]", "Instagram Followers", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), None),
    ("Server 3 | Instant | ♻️ Lifetime", "Instagram Likes [Lifetime]", "Default", P.INSTAGRAM, M.LIKES, LIFETIME, None),
    (bold("Instagram Followers") + " [R30]", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), None),
    ("INSTAGRAM FOLLOWERS | REFILL 30 DAYS", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), None),
    ("Instagram Followers [Refill 365 Days]", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(365), None),
    ("Instagram Followers | 1 Year Refill", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(365), None),
    ("Instagram Followers | 1 Month Refill", "", "Default", P.INSTAGRAM, M.FOLLOWERS, days(30), None),
    ("Instagram Followers [Auto Refill]", "", "Default", P.INSTAGRAM, M.FOLLOWERS, UNSPECIFIED, None),
    ("Instagram Followers [Refill ❌]", "", "Default", P.INSTAGRAM, M.FOLLOWERS, NONE, None),
    ("Instagram Followers [Pakistan]", "", "Default", P.INSTAGRAM, M.FOLLOWERS, UNKNOWN, "PK"),
    ("Instagram Followers Mexico 🇲🇽", "", "Default", P.INSTAGRAM, M.FOLLOWERS, UNKNOWN, "MX"),
    ("Instagram Followers Latin America", "", "Default", P.INSTAGRAM, M.FOLLOWERS, UNKNOWN, None),
    ("Instagram Likes [Worldwide]", "", "Default", P.INSTAGRAM, M.LIKES, UNKNOWN, None),
    # Threads
    ("Threads Followers", "Threads", "Default", P.THREADS, M.FOLLOWERS, UNKNOWN, None),
    ("Threads Likes | R30", "Threads", "Default", P.THREADS, M.LIKES, days(30), None),
    ("Instagram Threads Followers", "Instagram", "Default", P.THREADS, M.FOLLOWERS, UNKNOWN, None),
    ("Threads Reposts", "", "Default", P.THREADS, M.REPOSTS, UNKNOWN, None),
    # TikTok
    ("TikTok Followers", "TikTok Followers", "Default", P.TIKTOK, M.FOLLOWERS, UNKNOWN, None),
    ("TikTok Followers | Real | 30D Refill", "", "Default", P.TIKTOK, M.FOLLOWERS, days(30), None),
    ("Real HQ [R30]", "TikTok Followers", "Default", P.TIKTOK, M.FOLLOWERS, days(30), None),
    ("TikTok Likes [No Refill]", "TikTok", "Default", P.TIKTOK, M.LIKES, NONE, None),
    ("TikTok Views | Instant | Max 100M", "TikTok Views", "Default", P.TIKTOK, M.VIEWS, UNKNOWN, None),
    ("TT views | Cheapest", "", "Default", P.TIKTOK, M.VIEWS, UNKNOWN, None),
    ("Tik Tok Likes 🇺🇸", "", "Default", P.TIKTOK, M.LIKES, UNKNOWN, "US"),
    ("TikTok Saves", "TikTok Other", "Default", P.TIKTOK, M.SAVES, UNKNOWN, None),
    ("TikTok Shares", "", "Default", P.TIKTOK, M.SHARES, UNKNOWN, None),
    ("TikTok Reposts", "", "Default", P.TIKTOK, M.REPOSTS, UNKNOWN, None),
    ("TikTok Comments [Custom]", "TikTok Comments", "Custom Comments", P.TIKTOK, M.COMMENTS, UNKNOWN, None),
    ("TikTok Comment Likes", "", "Default", P.TIKTOK, M.LIKES, UNKNOWN, None),
    ("TikTok Live Views [15 Min]", "TikTok Live", "Default", P.TIKTOK, M.STREAMS, UNKNOWN, None),
    ("TikTok Live Stream Viewers | 60 Minutes", "", "Default", P.TIKTOK, M.STREAMS, UNKNOWN, None),
    ("TikTok Live Likes", "TikTok Live", "Default", P.TIKTOK, M.LIKES, UNKNOWN, None),
    ("TikTok Live Comments", "", "Custom Comments", P.TIKTOK, M.COMMENTS, UNKNOWN, None),
    ("TikTok Followers [Lifetime]", "", "Default", P.TIKTOK, M.FOLLOWERS, LIFETIME, None),
    ("TikTok Views + Likes", "", "Default", P.TIKTOK, M.VIEWS, UNKNOWN, None),
    ("TikTok Likes | Refill 30 | Speed 5K/Day", "", "Default", P.TIKTOK, M.LIKES, days(30), None),
    ("TikTok Followers [Indonesian]", "", "Default", P.TIKTOK, M.FOLLOWERS, UNKNOWN, "ID"),
    ("TikTok Video Views [Turkey] 🇹🇷", "", "Default", P.TIKTOK, M.VIEWS, UNKNOWN, "TR"),
    ("TikTok Hearts", "", "Default", P.TIKTOK, M.LIKES, UNKNOWN, None),
    ("TikTok Auto Views", "", "Subscriptions", P.TIKTOK, M.VIEWS, UNKNOWN, None),
    ("TikTok Followers [Vietnam]", "", "Default", P.TIKTOK, M.FOLLOWERS, UNKNOWN, "VN"),
    # YouTube
    ("YouTube Views", "YouTube Views", "Default", P.YOUTUBE, M.VIEWS, UNKNOWN, None),
    ("YouTube Views [Lifetime Refill] [Non Drop]", "", "Default", P.YOUTUBE, M.VIEWS, LIFETIME, None),
    ("YouTube Views | Refill 30 Days | 10K/Day", "", "Default", P.YOUTUBE, M.VIEWS, days(30), None),
    ("YouTube Shorts Views", "YouTube Shorts", "Default", P.YOUTUBE, M.VIEWS, UNKNOWN, None),
    ("YouTube Likes", "YouTube", "Default", P.YOUTUBE, M.LIKES, UNKNOWN, None),
    ("YouTube Likes + Views", "YouTube", "Default", P.YOUTUBE, M.LIKES, UNKNOWN, None),
    ("YouTube Subscribers [R30]", "YouTube Subscribers", "Default", P.YOUTUBE, M.SUBSCRIBERS, days(30), None),
    ("YT subs | Non Drop | 30D Refill", "", "Default", P.YOUTUBE, M.SUBSCRIBERS, days(30), None),
    ("YouTube Subscribers [No Refill]", "", "Default", P.YOUTUBE, M.SUBSCRIBERS, NONE, None),
    ("YouTube Comments [Custom]", "YouTube Comments", "Custom Comments", P.YOUTUBE, M.COMMENTS, UNKNOWN, None),
    ("YouTube Comment Likes", "", "Comment Likes", P.YOUTUBE, M.LIKES, UNKNOWN, None),
    ("YouTube Live Stream Views", "YouTube Live", "Default", P.YOUTUBE, M.STREAMS, UNKNOWN, None),
    ("YouTube Livestream Viewers [Concurrent] 1 Hour", "", "Default", P.YOUTUBE, M.STREAMS, UNKNOWN, None),
    ("YouTube Watch Time (4000 hours)", "YouTube Watch Time", "Default", P.YOUTUBE, M.WATCH_TIME, UNKNOWN, None),
    ("YouTube Watch Hours [Monetization]", "", "Default", P.YOUTUBE, M.WATCH_TIME, UNKNOWN, None),
    ("YouTube Shares", "", "Default", P.YOUTUBE, M.SHARES, UNKNOWN, None),
    ("YouTube Views [USA] [Lifetime]", "", "Default", P.YOUTUBE, M.VIEWS, LIFETIME, "US"),
    ("YouTube Views from Google Ads", "", "Default", P.YOUTUBE, M.VIEWS, UNKNOWN, None),
    ("YouTube Views [Korea] 🇰🇷", "", "Default", P.YOUTUBE, M.VIEWS, UNKNOWN, "KR"),
    ("Youtube Dislikes", "", "Default", P.YOUTUBE, M.OTHER, UNKNOWN, None),
    ("YouTube Views Package 10K", "YouTube Packages", "Package", P.YOUTUBE, M.VIEWS, UNKNOWN, None),
    # Facebook
    ("Facebook Page Likes", "Facebook Page", "Default", P.FACEBOOK, M.LIKES, UNKNOWN, None),
    ("Facebook Page Followers | R30", "Facebook Page", "Default", P.FACEBOOK, M.FOLLOWERS, days(30), None),
    ("Facebook Fan Page Likes + Followers", "", "Default", P.FACEBOOK, M.LIKES, UNKNOWN, None),
    ("Facebook Profile Followers", "", "Default", P.FACEBOOK, M.FOLLOWERS, UNKNOWN, None),
    ("Facebook Post Likes", "Facebook Likes", "Default", P.FACEBOOK, M.LIKES, UNKNOWN, None),
    ("Facebook Post Reactions (Love)", "", "Default", P.FACEBOOK, M.REACTIONS, UNKNOWN, None),
    ("FB Post reactions | Wow", "", "Default", P.FACEBOOK, M.REACTIONS, UNKNOWN, None),
    ("Facebook Video Views", "", "Default", P.FACEBOOK, M.VIEWS, UNKNOWN, None),
    ("Facebook Reels Views", "", "Default", P.FACEBOOK, M.VIEWS, UNKNOWN, None),
    ("Facebook Live Stream Views [30 Min]", "", "Default", P.FACEBOOK, M.STREAMS, UNKNOWN, None),
    ("Facebook Group Members", "Facebook Group", "Default", P.FACEBOOK, M.MEMBERS, UNKNOWN, None),
    ("Facebook Friend Requests", "", "Default", P.FACEBOOK, M.FRIENDS, UNKNOWN, None),
    ("Facebook Custom Comments", "", "Custom Comments", P.FACEBOOK, M.COMMENTS, UNKNOWN, None),
    ("Facebook Post Shares", "", "Default", P.FACEBOOK, M.SHARES, UNKNOWN, None),
    ("Facebook Story Views", "", "Default", P.FACEBOOK, M.STORY_VIEWS, UNKNOWN, None),
    ("Facebook Page Likes [Arab] ♻️ 30D", "", "Default", P.FACEBOOK, M.LIKES, days(30), None),
    ("Facebook Page Likes [Egypt]", "", "Default", P.FACEBOOK, M.LIKES, UNKNOWN, "EG"),
    ("Facebook Poll Votes", "", "Poll", P.FACEBOOK, M.VOTES, UNKNOWN, None),
    # X / Twitter
    ("X Followers", "X (Twitter)", "Default", P.TWITTER, M.FOLLOWERS, UNKNOWN, None),
    ("X (Twitter) Followers | R30", "", "Default", P.TWITTER, M.FOLLOWERS, days(30), None),
    ("[X] Likes | Instant", "", "Default", P.TWITTER, M.LIKES, UNKNOWN, None),
    (f"{DOUBLE_X} Views", "", "Default", P.TWITTER, M.VIEWS, UNKNOWN, None),
    ("Twitter Followers [No Refill]", "Twitter", "Default", P.TWITTER, M.FOLLOWERS, NONE, None),
    ("Twitter Retweets", "Twitter", "Default", P.TWITTER, M.RETWEETS, UNKNOWN, None),
    ("X Reposts", "", "Default", P.TWITTER, M.RETWEETS, UNKNOWN, None),
    ("Twitter Likes / Favorites", "", "Default", P.TWITTER, M.LIKES, UNKNOWN, None),
    ("Twitter Tweet Views", "", "Default", P.TWITTER, M.VIEWS, UNKNOWN, None),
    ("Twitter Impressions", "", "Default", P.TWITTER, M.IMPRESSIONS, UNKNOWN, None),
    ("Twitter Poll Votes", "Twitter Poll", "Poll", P.TWITTER, M.VOTES, UNKNOWN, None),
    ("Twitter Bookmarks", "", "Default", P.TWITTER, M.SAVES, UNKNOWN, None),
    ("X.com Comments [Custom]", "", "Custom Comments", P.TWITTER, M.COMMENTS, UNKNOWN, None),
    ("Twitter Followers [USA] [Lifetime]", "", "Default", P.TWITTER, M.FOLLOWERS, LIFETIME, "US"),
    ("Tweet Likes 🇯🇵", "", "Default", P.TWITTER, M.LIKES, UNKNOWN, "JP"),
    # Telegram
    ("Telegram Channel Members", "Telegram Members", "Default", P.TELEGRAM, M.MEMBERS, UNKNOWN, None),
    ("Telegram Members [Channel/Group] [R30]", "", "Default", P.TELEGRAM, M.MEMBERS, days(30), None),
    ("Tg members | Non Drop", "", "Default", P.TELEGRAM, M.MEMBERS, UNKNOWN, None),
    ("Telegram Channel Subscribers", "", "Default", P.TELEGRAM, M.MEMBERS, UNKNOWN, None),
    ("Telegram Post Views", "Telegram Views", "Default", P.TELEGRAM, M.VIEWS, UNKNOWN, None),
    ("Telegram Post Views [Last 10 Posts]", "", "Default", P.TELEGRAM, M.VIEWS, UNKNOWN, None),
    ("Telegram Reactions 👍", "", "Default", P.TELEGRAM, M.REACTIONS, UNKNOWN, None),
    ("Telegram Auto Views", "", "Subscriptions", P.TELEGRAM, M.VIEWS, UNKNOWN, None),
    ("Telegram Poll Votes", "", "Poll", P.TELEGRAM, M.VOTES, UNKNOWN, None),
    ("Telegram Members Russia", "", "Default", P.TELEGRAM, M.MEMBERS, UNKNOWN, "RU"),
    ("Telegram Story Views", "", "Default", P.TELEGRAM, M.STORY_VIEWS, UNKNOWN, None),
    ("Telegram Members mbrs [No Refill]", "", "Default", P.TELEGRAM, M.MEMBERS, NONE, None),
    ("Telegram Members [Invites from Groups]", "", "Invites from Groups", P.TELEGRAM, M.MEMBERS, UNKNOWN, None),
    ("Telegram Channel Members | Iran", "", "Default", P.TELEGRAM, M.MEMBERS, UNKNOWN, "IR"),
    # Spotify and music
    ("Spotify Plays", "Spotify", "Default", P.SPOTIFY, M.PLAYS, UNKNOWN, None),
    ("Spotify Streams [Premium] [USA]", "", "Default", P.SPOTIFY, M.PLAYS, UNKNOWN, "US"),
    ("Spotify Monthly Listeners", "Spotify", "Default", P.SPOTIFY, M.MONTHLY_LISTENERS, UNKNOWN, None),
    ("Spotify Listeners", "", "Default", P.SPOTIFY, M.LISTENERS, UNKNOWN, None),
    ("Spotify Followers [Artist] [Lifetime]", "", "Default", P.SPOTIFY, M.FOLLOWERS, LIFETIME, None),
    ("Spotify Playlist Followers", "", "Default", P.SPOTIFY, M.FOLLOWERS, UNKNOWN, None),
    ("Spotify Saves", "", "Default", P.SPOTIFY, M.SAVES, UNKNOWN, None),
    ("Spotify Plays | Brazil 🇧🇷", "", "Default", P.SPOTIFY, M.PLAYS, UNKNOWN, "BR"),
    ("SoundCloud Plays", "SoundCloud", "Default", P.SOUNDCLOUD, M.PLAYS, UNKNOWN, None),
    ("SoundCloud Followers", "", "Default", P.SOUNDCLOUD, M.FOLLOWERS, UNKNOWN, None),
    ("SoundCloud Reposts", "", "Default", P.SOUNDCLOUD, M.REPOSTS, UNKNOWN, None),
    ("SoundCloud Likes", "", "Default", P.SOUNDCLOUD, M.LIKES, UNKNOWN, None),
    ("Apple Music Plays", "Apple Music", "Default", P.APPLE_MUSIC, M.PLAYS, UNKNOWN, None),
    ("iTunes Streams", "", "Default", P.APPLE_MUSIC, M.PLAYS, UNKNOWN, None),
    ("Deezer Plays", "Deezer", "Default", P.DEEZER, M.PLAYS, UNKNOWN, None),
    ("Deezer Fans", "", "Default", P.DEEZER, M.FOLLOWERS, UNKNOWN, None),
    ("Shazam Plays", "", "Default", P.SHAZAM, M.PLAYS, UNKNOWN, None),
    ("Audiomack Plays", "Audiomack", "Default", P.AUDIOMACK, M.PLAYS, UNKNOWN, None),
    ("Audiomack Followers", "", "Default", P.AUDIOMACK, M.FOLLOWERS, UNKNOWN, None),
    # Live streaming
    ("Twitch Live Viewers", "Twitch", "Default", P.TWITCH, M.STREAMS, UNKNOWN, None),
    ("Twitch Viewers [1 Hour]", "", "Default", P.TWITCH, M.STREAMS, UNKNOWN, None),
    ("Twitch Followers", "Twitch", "Default", P.TWITCH, M.FOLLOWERS, UNKNOWN, None),
    ("Twitch Channel Views", "", "Default", P.TWITCH, M.VIEWS, UNKNOWN, None),
    ("Kick Followers", "Kick", "Default", P.KICK, M.FOLLOWERS, UNKNOWN, None),
    ("Kick Live Viewers [30 Min]", "Kick", "Default", P.KICK, M.STREAMS, UNKNOWN, None),
    ("Kick.com Live Stream Viewers", "", "Default", P.KICK, M.STREAMS, UNKNOWN, None),
    # Communities and the rest
    ("Discord Server Members", "Discord", "Default", P.DISCORD, M.MEMBERS, UNKNOWN, None),
    ("Discord Online Members [R30]", "", "Default", P.DISCORD, M.MEMBERS, days(30), None),
    ("Discord Reactions", "", "Default", P.DISCORD, M.REACTIONS, UNKNOWN, None),
    ("LinkedIn Connections", "LinkedIn", "Default", P.LINKEDIN, M.CONNECTIONS, UNKNOWN, None),
    ("LinkedIn Followers [Company Page]", "", "Default", P.LINKEDIN, M.FOLLOWERS, UNKNOWN, None),
    ("LinkedIn Post Likes", "", "Default", P.LINKEDIN, M.LIKES, UNKNOWN, None),
    ("Pinterest Followers", "Pinterest", "Default", P.PINTEREST, M.FOLLOWERS, UNKNOWN, None),
    ("Pinterest Repins", "", "Default", P.PINTEREST, M.SAVES, UNKNOWN, None),
    ("Reddit Upvotes", "Reddit", "Default", P.REDDIT, M.VOTES, UNKNOWN, None),
    ("Reddit Post Comments", "", "Custom Comments", P.REDDIT, M.COMMENTS, UNKNOWN, None),
    ("Reddit Members [Subreddit]", "", "Default", P.REDDIT, M.MEMBERS, UNKNOWN, None),
    ("Snapchat Followers", "Snapchat", "Default", P.SNAPCHAT, M.FOLLOWERS, UNKNOWN, None),
    ("Snapchat Story Views", "", "Default", P.SNAPCHAT, M.STORY_VIEWS, UNKNOWN, None),
    ("WhatsApp Channel Followers", "WhatsApp", "Default", P.WHATSAPP, M.FOLLOWERS, UNKNOWN, None),
    ("WhatsApp Channel Reactions", "", "Default", P.WHATSAPP, M.REACTIONS, UNKNOWN, None),
    ("VK Friends", "VK", "Default", P.VK, M.FRIENDS, UNKNOWN, None),
    ("VK Group Members", "", "Default", P.VK, M.MEMBERS, UNKNOWN, None),
    ("Quora Upvotes", "Quora", "Default", P.QUORA, M.VOTES, UNKNOWN, None),
    ("Quora Followers", "", "Default", P.QUORA, M.FOLLOWERS, UNKNOWN, None),
    ("Tumblr Reblogs", "Tumblr", "Default", P.TUMBLR, M.REPOSTS, UNKNOWN, None),
    ("Tumblr Followers", "", "Default", P.TUMBLR, M.FOLLOWERS, UNKNOWN, None),
    # Reviews and websites
    ("Google Maps Reviews", "Google", "Custom Comments", P.GOOGLE, M.REVIEWS, UNKNOWN, None),
    ("Server 2 | Custom", "Google Reviews", "Custom Comments", P.GOOGLE, M.COMMENTS, UNKNOWN, None),
    ("Google Maps Reviews [5 Stars]", "Google Reviews", "Default", P.GOOGLE, M.REVIEWS, UNKNOWN, None),
    ("Google Business Reviews USA", "", "Default", P.GOOGLE, M.REVIEWS, UNKNOWN, "US"),
    ("Trustpilot Reviews [UK]", "Trustpilot", "Default", P.TRUSTPILOT, M.REVIEWS, UNKNOWN, "GB"),
    ("Website Traffic from USA", "Website Traffic", "Web Traffic", P.WEBSITE, M.TRAFFIC, UNKNOWN, "US"),
    ("Website Traffic from USA", "", "Default", P.WEBSITE, M.TRAFFIC, UNKNOWN, "US"),
    ("Website Traffic from Facebook [Worldwide]", "", "Default", P.WEBSITE, M.TRAFFIC, UNKNOWN, None),
    ("Traffic from Instagram", "Website Traffic", "Web Traffic", P.WEBSITE, M.TRAFFIC, UNKNOWN, None),
    ("Organic Visitors [Germany]", "Web Traffic", "Web Traffic", P.WEBSITE, M.TRAFFIC, UNKNOWN, "DE"),
    ("Web Traffic | Mobile | India", "", "Default", P.WEBSITE, M.TRAFFIC, UNKNOWN, "IN"),
    ("Site Visitors from Google Search", "", "Default", P.WEBSITE, M.TRAFFIC, UNKNOWN, None),
    # Names that say little
    ("Server 4 [Cheap]", "Misc", "Default", P.OTHER, M.OTHER, UNKNOWN, None),
    ("Test service", "", "", P.OTHER, M.OTHER, UNKNOWN, None),
    ("Likes [Max 10x] [x2 speed]", "", "Default", P.OTHER, M.LIKES, UNKNOWN, None),
    ("Followers | 10 X 100", "", "Default", P.OTHER, M.FOLLOWERS, UNKNOWN, None),
    ("Followers | Max 100K", "Instagram", "Default", P.INSTAGRAM, M.FOLLOWERS, UNKNOWN, None),
    ("Views", "🔥 TikTok Services 🔥", "Default", P.TIKTOK, M.VIEWS, UNKNOWN, None),
    ("Likes [Real]", "YouTube", "Default", P.YOUTUBE, M.LIKES, UNKNOWN, None),
]
# fmt: on


def _id(row: Row) -> str:
    return f"{row[0]} | {row[1]} | {row[2]}"


def test_table_is_big_and_covers_every_platform() -> None:
    assert len(SERVICES) >= 200
    assert {row[3] for row in SERVICES} == set(Platform)


@pytest.mark.parametrize(
    ("name", "category", "service_type", "platform", "metric", "refill", "geo"),
    SERVICES,
    ids=[_id(row) for row in SERVICES],
)
def test_classifies_real_service_names(
    name: str,
    category: str,
    service_type: str,
    platform: Platform,
    metric: Metric,
    refill: Refill,
    geo: str | None,
) -> None:
    c = classify(name, category, service_type)
    assert (c.platform, c.metric, c.refill, c.geo) == (platform, metric, refill, geo)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("R30", days(30)),
        ("R 30", days(30)),
        ("[R30]", days(30)),
        ("R365", days(365)),
        ("AR30", days(30)),
        ("30 Days Refill", days(30)),
        ("30D Refill", days(30)),
        ("Refill 30D", days(30)),
        ("Refill 30", days(30)),
        ("Refill: 60 Days", days(60)),
        ("Refill (90 days)", days(90)),
        ("♻️ 30 days", days(30)),
        ("♻️30D", days(30)),
        ("30 Days Auto Refill", days(30)),
        ("Auto Refill 45 Days", days(45)),
        ("Refill Period 15 Days", days(15)),
        ("30 Days Guarantee", days(30)),
        ("Guaranteed 7 Days", days(7)),
        ("1 Month Refill", days(30)),
        ("2 Weeks Refill", days(14)),
        ("1 Year Refill", days(365)),
        ("Lifetime Refill", LIFETIME),
        ("Lifetime Guaranteed", LIFETIME),
        ("♻️ Lifetime", LIFETIME),
        ("Refill: Lifetime", LIFETIME),
        ("Life Time Refill", LIFETIME),
        ("No Refill", NONE),
        ("NR", NONE),
        ("[NR]", NONE),
        ("[No Refill]", NONE),
        ("Non-refill", NONE),
        ("Non Refillable", NONE),
        ("Refill: No", NONE),
        ("Refill ❌", NONE),
        ("❌ Refill", NONE),
        ("No Guarantee", NONE),
        ("Refill 0 Days", NONE),
        ("R0", NONE),
        ("Refill", UNSPECIFIED),
        ("Auto Refill", UNSPECIFIED),
        ("♻️ Refill Button", UNSPECIFIED),
        ("Guaranteed", UNSPECIFIED),
        ("Non Drop", UNKNOWN),
        ("No Drop | Refill 30 Days", days(30)),
        ("Refill | 10K/Day", UNSPECIFIED),
        ("Instagram Followers 30 Days", UNKNOWN),
        ("Speed 5000/Day", UNKNOWN),
        ("Instagram Likes | Max 100K | Start 0-1h", UNKNOWN),
        ("", UNKNOWN),
    ],
)
def test_parses_refill_phrases(text: str, expected: Refill) -> None:
    assert parse_refill(text) == expected


def test_refill_flag_counts_only_when_name_and_category_are_silent() -> None:
    assert classify("Instagram Likes", refill_flag=True).refill == UNSPECIFIED
    assert classify("Instagram Likes", refill_flag=False).refill == NONE
    assert classify("Instagram Likes", refill_flag=None).refill == UNKNOWN
    assert classify("Instagram Likes R30", refill_flag=False).refill == days(30)
    assert classify("Instagram Likes", "Likes [No Refill]", refill_flag=True).refill == NONE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Followers USA", "US"),
        ("Followers US", "US"),
        ("Followers U.S.A", "US"),
        ("United States Followers", "US"),
        ("American Followers", "US"),
        ("🇺🇸 Followers", "US"),
        ("UK Followers", "GB"),
        ("British Likes", "GB"),
        ("🇬🇧", "GB"),
        ("Brazil", "BR"),
        ("Brazilian Likes", "BR"),
        ("Likes BR", "BR"),
        ("India", "IN"),
        ("Indian Followers", "IN"),
        ("Followers [IN]", "IN"),
        ("Followers (IT)", "IT"),
        ("Turkish Followers", "TR"),
        ("Türkiye Likes", "TR"),
        ("KSA Followers", "SA"),
        ("Saudi Arabia Followers", "SA"),
        ("UAE Followers", "AE"),
        ("🇪🇺 🇩🇪 Followers", "DE"),
    ],
)
def test_reads_countries(text: str, expected: str) -> None:
    assert parse_geo(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Instagram Likes in 1 hour",
        "INSTAGRAM LIKES IN 1 HOUR",
        "Start IN 0-1 Hour",
        "Contact us for bulk",
        "Bonus Views",
        "Status: Working",
        "Prices in USD",
        "Prussian Blue Likes",
        "Indiana Pacers Fans",
        "Likes [Get IT Fast]",
        "Best IT Services",
        "User ID required",
        "Likes AR30",
        "NR | TT | IG | YT | FB | TG | VK | LT",
        "Spanish Comments",
        "English Comments",
        "Latin American Followers",
        "Worldwide Followers",
        "Global Mix",
        "🇪🇺 Followers",
        "Refill (NO)",
    ],
)
def test_ignores_words_that_look_like_countries(text: str) -> None:
    assert parse_geo(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Arab Followers", "arab"),
        ("Arabic Comments", "arab"),
        ("Middle East Likes", "arab"),
        ("Latin American Followers", "latam"),
        ("LATAM Views", "latam"),
        ("European Followers", "europe"),
        ("🇪🇺 Followers", "europe"),
        ("Asian Likes", "asia"),
        ("Worldwide Followers", None),
    ],
)
def test_reads_regions(text: str, expected: str | None) -> None:
    assert parse_region(text) == expected


def test_region_is_kept_apart_from_geo() -> None:
    c = classify("Instagram Arab Followers")
    assert (c.geo, c.region) == (None, "arab")
    assert classify("Instagram Followers Saudi Arabia").region is None


def test_name_metric_wins_over_category() -> None:
    c = classify("Instagram Likes", "Instagram Followers")
    assert (c.platform, c.metric) == (P.INSTAGRAM, M.LIKES)
    assert classify("TikTok Views", "TikTok Followers [Real]").metric is M.VIEWS


def test_category_fills_in_what_the_name_leaves_out() -> None:
    c = classify("Real HQ [R30]", "TikTok Followers")
    assert (c.platform, c.metric, c.refill) == (P.TIKTOK, M.FOLLOWERS, days(30))


def test_name_platform_wins_over_category() -> None:
    assert classify("YouTube Likes", "Instagram Likes").platform is P.YOUTUBE


def test_type_speaks_before_the_category_but_after_the_name() -> None:
    assert classify("Server 1", "Instagram Followers", "Custom Comments").metric is M.COMMENTS
    assert classify("Server 1", "Instagram Followers", "Default").metric is M.FOLLOWERS
    assert classify("Google Reviews [5 Stars]", "", "Custom Comments").metric is M.REVIEWS


@pytest.mark.parametrize(
    "name",
    [
        "10x Faster Likes",
        "Likes x2",
        "Likes | Max 100K",
        "Followers | 10 X 100",
        "Followers x 1000",
        "Xbox Gamers Likes",
        "Maximum speed",
        "XL Package",
    ],
)
def test_x_as_a_letter_is_not_twitter(name: str) -> None:
    assert classify(name).platform is P.OTHER


@pytest.mark.parametrize(
    "name",
    ["X Followers", "X (Twitter) Likes", "[X] Views", f"{DOUBLE_X} Reposts", "x.com Followers"],
)
def test_x_as_a_word_is_twitter(name: str) -> None:
    assert classify(name).platform is P.TWITTER


def test_referring_platform_is_not_the_delivering_one() -> None:
    assert classify("Website Traffic from Facebook").platform is P.WEBSITE
    assert classify("Visitors via Instagram").platform is P.WEBSITE
    assert classify("YouTube Views from Facebook Ads").platform is P.YOUTUBE


def test_web_traffic_type_always_delivers_to_a_website() -> None:
    c = classify("Instagram Referral Visitors", "Web Traffic", "Web Traffic")
    assert (c.platform, c.metric, c.order_type) == (P.WEBSITE, M.TRAFFIC, OrderType.WEB_TRAFFIC)


@pytest.mark.parametrize(
    ("name", "metric", "target"),
    [
        ("Instagram Comment Likes", M.LIKES, Target.COMMENT),
        ("Instagram Likes on Comments", M.LIKES, Target.COMMENT),
        ("Instagram Likes", M.LIKES, Target.ANY),
        ("Instagram Story Likes", M.LIKES, Target.STORY),
        ("Instagram Story Views", M.STORY_VIEWS, Target.STORY),
        ("Facebook Page Likes", M.LIKES, Target.PAGE),
        ("Facebook Page Followers", M.FOLLOWERS, Target.PAGE),
        ("Facebook Profile Followers", M.FOLLOWERS, Target.ANY),
        ("TikTok Live Likes", M.LIKES, Target.LIVE),
        ("YouTube Live Stream Views", M.STREAMS, Target.LIVE),
        ("YouTube Views", M.VIEWS, Target.ANY),
    ],
)
def test_reads_what_the_link_points_at(name: str, metric: Metric, target: Target) -> None:
    c = classify(name)
    assert (c.metric, c.target) == (metric, target)


def test_comment_likes_type_targets_a_comment() -> None:
    assert classify("Instagram Likes [Real]", "", "Comment Likes").target is Target.COMMENT


@pytest.mark.parametrize(
    ("name", "metric", "extras"),
    [
        ("YouTube Likes + Views", M.LIKES, {M.VIEWS}),
        ("Instagram Likes + Reach + Impressions", M.LIKES, {M.REACH, M.IMPRESSIONS}),
        ("TikTok Views & Likes", M.VIEWS, {M.LIKES}),
        ("Instagram Followers and Likes", M.FOLLOWERS, {M.LIKES}),
        ("Twitter Likes / Favorites", M.LIKES, set()),
        ("X Retweets + Reposts", M.RETWEETS, set()),
        ("Instagram Likes [From Real Followers]", M.LIKES, set()),
        ("Instagram Followers | Likes Bonus", M.FOLLOWERS, set()),
    ],
)
def test_bundles_keep_their_extra_metrics(name: str, metric: Metric, extras: set[Metric]) -> None:
    c = classify(name)
    assert (c.metric, c.extras) == (metric, frozenset(extras))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Default", OrderType.DEFAULT),
        ("", OrderType.DEFAULT),
        (None, OrderType.DEFAULT),
        ("Package", OrderType.PACKAGE),
        ("Custom Comments", OrderType.CUSTOM_COMMENTS),
        ("custom_comments", OrderType.CUSTOM_COMMENTS),
        ("Custom Comments Package", OrderType.CUSTOM_COMMENTS_PACKAGE),
        ("Mentions with Hashtags", OrderType.MENTIONS_WITH_HASHTAGS),
        ("Comment Likes", OrderType.COMMENT_LIKES),
        ("Poll", OrderType.POLL),
        ("Invites from Groups", OrderType.INVITES_FROM_GROUPS),
        ("Web Traffic", OrderType.WEB_TRAFFIC),
        ("SEO", OrderType.SEO),
        ("Subscriptions", OrderType.SUBSCRIPTIONS),
        ("subscription", OrderType.SUBSCRIPTIONS),
        ("Drip Magic", OrderType.UNKNOWN),
    ],
)
def test_normalises_panel_types(text: str | None, expected: OrderType) -> None:
    assert parse_order_type(text) == expected


def test_reads_quality_tags_and_auto() -> None:
    c = classify("Instagram Followers | Real | HQ | Non Drop | Instant")
    assert c.quality == {"real", "hq", "non_drop", "instant"}
    assert classify("Instagram Followers [Bots] [Low Quality]").quality == {"bot", "lq"}
    assert classify("Instagram Auto Likes", "", "Subscriptions").auto
    assert not classify("Instagram Likes [Auto Refill]").auto


def test_group_key_matches_the_same_product_under_different_names() -> None:
    names = [
        "IG Followers ♻️ R30 🇺🇸",
        "Instagram Followers [USA] [30 Days Refill]",
        "🔥 INSTAGRAM FOLLOWERS | Refill: 30 Days | United States | HQ",
        "Insta Followers - Real - 30D Refill - US",
    ]
    keys = {group_key(classify(name)) for name in names}
    assert keys == {
        (P.INSTAGRAM, M.FOLLOWERS, Target.ANY, (), OrderType.DEFAULT, days(30), "US", None, False)
    }


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (("Instagram Followers R30", "", "Default"), ("Instagram Followers R60", "", "Default")),
        (("Instagram Followers R30", "", "Default"), ("Instagram Followers NR", "", "Default")),
        (("Instagram Followers", "", "Default"), ("Instagram Followers", "", "Package")),
        (("Instagram Followers USA", "", "Default"), ("Instagram Followers UK", "", "Default")),
        (("Instagram Followers", "", "Default"), ("Instagram Arab Followers", "", "Default")),
        (("Facebook Page Likes", "", "Default"), ("Facebook Post Likes", "", "Default")),
        (("Instagram Comment Likes", "", "Default"), ("Instagram Likes", "", "Default")),
        (("YouTube Likes + Views", "", "Default"), ("YouTube Likes", "", "Default")),
        (("Instagram Auto Likes", "", "Default"), ("Instagram Likes", "", "Default")),
        (("Twitch Live Viewers", "", "Default"), ("Twitch Channel Views", "", "Default")),
    ],
)
def test_group_key_keeps_different_products_apart(
    one: tuple[str, str, str], other: tuple[str, str, str]
) -> None:
    assert group_key(classify(*one)) != group_key(classify(*other))


def test_quality_tags_do_not_split_groups() -> None:
    assert group_key(classify("Instagram Likes [HQ]")) == group_key(
        classify("Instagram Likes [Bots]")
    )


def test_classification_is_frozen() -> None:
    c: Classification = classify("Instagram Likes")
    with pytest.raises(AttributeError):
        c.metric = M.VIEWS  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("🔥 Instagram Followers | ♻️ 30D | 🇺🇸", "Instagram Followers | refill 30D |"),
        ("[X] Likes (Real)", "X Likes Real"),
        ("Likes+Views", "Likes + Views"),
        (bold("Instagram"), "Instagram"),
        ("Refill ❌", "Refill no"),
        ("10K/Day", "10K / Day"),
    ],
)
def test_normalises_text(text: str, expected: str) -> None:
    assert normalise(text) == expected
