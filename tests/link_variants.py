"""Registered links per platform and the everyday ways crawlers and listeners meet them.

Each entry: the link as an artist registers it, the form the registry stores, and variants that
name the same page. Shared by the normalizer's tests, the API's table test and the manifest test.
"""

from dataclasses import dataclass

from hypothesis import strategies as st


@dataclass(frozen=True)
class Platform:
    name: str
    registered: str
    stored: str
    variants: tuple[str, ...]


PLATFORMS = (
    Platform(
        "youtube",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch?v=dQw4w9WgXcQ",
        (
            "http://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ?si=AbCdEf&t=42",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://music.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "https://www.youtube.com/embed/dQw4w9WgXcQ",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1m3s&si=x&feature=youtu.be&list=PL12",
        ),
    ),
    Platform(
        "soundcloud",
        "https://soundcloud.com/night-owls/paper-lanterns",
        "https://soundcloud.com/night-owls/paper-lanterns",
        (
            "http://soundcloud.com/night-owls/paper-lanterns",
            "https://m.soundcloud.com/night-owls/paper-lanterns",
            "https://soundcloud.com/night-owls/paper-lanterns?si=abc&utm_source=clipboard",
            "https://soundcloud.com/night-owls/paper-lanterns?in=night-owls/sets/ep&ref=clipboard",
            "https://www.soundcloud.com/night-owls/paper-lanterns/",
        ),
    ),
    Platform(
        "spotify",
        "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
        "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
        (
            "http://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
            "https://open.spotify.com/intl-de/track/4uLU6hMCjMI75M1A2tKUQC",
            "https://open.spotify.com/intl-pt/track/4uLU6hMCjMI75M1A2tKUQC?si=1a2b3c",
            "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC?si=x&context=y&nd=1&go=1"
            "&dl_branch=1",
        ),
    ),
    Platform(
        "apple-music",
        "https://music.apple.com/us/album/paper-lanterns/1440857781?i=1440857786",
        "https://music.apple.com/us/album/paper-lanterns/1440857781?i=1440857786",
        (
            "http://music.apple.com/us/album/paper-lanterns/1440857781?i=1440857786",
            "https://music.apple.com/us/album/paper-lanterns/1440857781?i=1440857786&uo=4",
            "https://music.apple.com/us/album/paper-lanterns/1440857781?uo=4&at=1l3v&ct=x"
            "&app=music&ls=1&itscg=30200&itsct=music_box&mt=1&i=1440857786",
        ),
    ),
    Platform(
        "bandcamp",
        "https://nightowls.bandcamp.com/track/paper-lanterns",
        "https://nightowls.bandcamp.com/track/paper-lanterns",
        (
            "http://nightowls.bandcamp.com/track/paper-lanterns",
            "https://nightowls.bandcamp.com/track/paper-lanterns?from=search&search_item_id=1"
            "&search_item_type=t&search_match_part=%3F&search_page_id=2&search_page_no=1"
            "&search_rank=1&search_sig=abc",
            "https://nightowls.bandcamp.com/track/paper-lanterns?label=12&tab=music",
            "https://nightowls.bandcamp.com/track/paper-lanterns#lyrics",
        ),
    ),
    Platform(
        "deezer",
        "https://www.deezer.com/track/3135556",
        "https://deezer.com/track/3135556",
        (
            "http://deezer.com/track/3135556",
            "https://www.deezer.com/fr/track/3135556",
            "https://www.deezer.com/en/track/3135556?utm_source=deezer",
            "https://www.deezer.com/pt-br/track/3135556",
        ),
    ),
    Platform(
        "tidal",
        "https://tidal.com/track/77646168",
        "https://tidal.com/track/77646168",
        (
            "http://tidal.com/track/77646168",
            "https://listen.tidal.com/track/77646168",
            "https://tidal.com/browse/track/77646168",
            "https://tidal.com/browse/track/77646168?u",
            "https://listen.tidal.com/track/77646168?u=1",
        ),
    ),
)

# Short links only the platform can resolve: they match only the same short link.
UNRESOLVED_SHORT_LINKS = (
    "https://on.soundcloud.com/AbCd1234",
    "https://deezer.page.link/xYz12345",
)


def _query_noise():
    return st.lists(
        st.sampled_from(
            ["utm_source=x", "utm_medium=social", "fbclid=abc", "gclid=1", "igshid=q", "_ga=2.1"]
            + ["mc_cid=1", "mc_eid=2", "ref_src=twsrc"]
        ),
        max_size=3,
    )


@st.composite
def everyday_variant(draw, platform: Platform | None = None) -> tuple[Platform, str]:
    """A platform and one way a crawler may meet its registered link: a listed variant, written
    with `http` or `https`, upper-case host, `www.`, and generic tracking parameters added."""
    platform = platform or draw(st.sampled_from(PLATFORMS))
    url = draw(st.sampled_from((platform.registered, platform.stored, *platform.variants)))
    scheme, rest = url.split("://", 1)
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    host, slash, path = rest.partition("/")
    if draw(st.booleans()):
        host = host.upper()
    if draw(st.booleans()) and host.count(".") == 1:  # a bare domain, such as youtu.be
        host = "www." + host
    noise = draw(_query_noise())
    fragment = ""
    if "#" in path:
        path, fragment = path.split("#", 1)
        fragment = "#" + fragment
    if noise:
        path += ("&" if "?" in path else "?") + "&".join(noise)
    return platform, f"{scheme}://{host}{slash}{path}{fragment}"
