"""The public feed files as last built, and how far their builder has read the change log.

Crawlers fetch the feeds anonymously and constantly; they are served from these rows, one read
by primary key, and rebuilt by `registry.feed_store` in the background after a change touches
them. They live in PostgreSQL rather than on disk so that every web process on every machine
reads the same copy without a shared volume, a rebuild replaces a file atomically, and the
files are backed up and restored with the registry they describe.
"""

from django.db import models


class FeedFile(models.Model):
    """One feed file as served: its bytes, validators and when it was built."""

    key = models.CharField(max_length=600, primary_key=True)
    # A file can be a deliberate 404 (a sharded host's single-file URLs, in the format's terms).
    status = models.SmallIntegerField(default=200)
    body = models.BinaryField()
    content_type = models.CharField(max_length=100)
    etag = models.CharField(max_length=80)
    last_modified = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key


class FeedHost(models.Model):
    """A host on which registered tracks have links, as the last build of /hosts/ counted it.

    `depth` is the number of hex digits of a link's MD5 that name its shard: 0 for a host whose
    files hold every link at once, more as the host grows (`registry.feed_store.shard_depth`).
    `rank` orders /hosts/ (most tracks first) without sorting at request time.
    """

    host = models.CharField(max_length=253, primary_key=True)
    links = models.IntegerField(default=0)
    tracks = models.IntegerField(default=0)
    depth = models.SmallIntegerField(default=0)
    rank = models.IntegerField(default=0, db_index=True)

    def __str__(self) -> str:
        return self.host


class FeedState(models.Model):
    """A named position of the feed builder: the last change event it applied, or a count."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"
