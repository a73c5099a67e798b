"""The project's URLconf: the admin, accounts, the platforms' face and the website.

The website's pages are one list per feature; the platforms' face (/api/ and /platform/) is
api/urls.py. Django tries the patterns in the order of `urlpatterns`.
"""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path

from registry import (
    views_artist,
    views_catalogue,
    views_disputes,
    views_export,
    views_feeds,
    views_import,
    views_log,
    views_proofs,
    views_public,
    views_publish,
    views_receipts,
    views_trust,
    views_update,
)

# The admin has no password form of its own: /admin/login/ sends visitors to the site's login
# (allauth: rate limits, email verification, the second factor) and back with `next`.
admin.site.login = secure_admin_login(admin.site.login)

# --- Pages anyone can read: the registry's explanation, its promises, public track pages ------
public = [
    path("", views_public.home, name="home"),
    path("how-it-works/", views_public.how_it_works, name="how_it_works"),
    path("terms/", views_public.terms, name="terms"),
    path("privacy/", views_public.privacy, name="privacy"),
    path("t/<uuid:public_id>/", views_public.track_public, name="track_public"),
]

# --- The signed-in artist's pages ---------------------------------------------------------------
artist = [
    path("profile/", views_artist.profile, name="profile"),
    path("dashboard/", views_artist.dashboard, name="dashboard"),
    path(
        "dashboard/catalogue-change.json",
        views_artist.catalogue_job_progress,
        name="catalogue_job_progress",
    ),
    path("tracks/new/", views_artist.track_new, name="track_new"),
    path("tracks/<uuid:public_id>/", views_artist.track_detail, name="track_detail"),
    path("permissions/", views_catalogue.catalogue_permissions, name="catalogue_permissions"),
    path("permissions/opt-out-ai/", views_catalogue.opt_out_ai, name="opt_out_ai"),
    path("history/", views_catalogue.history, name="history"),
    path(
        "history/<int:number>/receipt.json",
        views_receipts.declaration_receipt,
        name="declaration_receipt",
    ),
    path(
        "history/<int:number>/receipt/",
        views_receipts.declaration_receipt_page,
        name="declaration_receipt_page",
    ),
    path(
        "tracks/<uuid:public_id>/verification/",
        views_trust.verification_request,
        name="verification_request",
    ),
    path("notices/<uuid:public_id>/dismiss/", views_trust.dismiss_notice, name="dismiss_notice"),
    path("notices/dismiss/", views_trust.dismiss_all_notices, name="dismiss_all_notices"),
]

# --- The catalogue import page, its downloadable example, updates and the export --------------
catalogue_import = [
    path("import/", views_import.catalogue_import, name="catalogue_import"),
    path("import/confirm/", views_update.confirm_update, name="catalogue_update_confirm"),
    path("import/result/<str:token>/", views_update.update_result, name="catalogue_update_result"),
    path("export/catalogue.csv", views_export.catalogue_export, name="catalogue_export"),
    path(
        "import/example.csv",
        views_import.catalogue_import_example,
        name="catalogue_import_example",
    ),
]

# A host's shard: the first hex digits of the MD5 of its links' URLs (registry.feed_store).
SHARD = r"(?P<shard>[0-9a-f]{1,8})"

# --- Public feeds and signals: the registry's own robots.txt and TDMRep file, per-track twins,
# licences and policies, each creator's publishing kit, and the per-host robots-style feeds ---
feeds = [
    path("robots.txt", views_feeds.robots_txt, name="registry_robots"),
    path(".well-known/tdmrep.json", views_feeds.tdmrep_json, name="registry_tdmrep"),
    path("licenses/registry.xml", views_feeds.registry_licence, name="registry_licence"),
    path("t/<uuid:public_id>/cawg.json", views_feeds.track_cawg, name="track_cawg"),
    path("policies/<uuid:public_id>.json", views_feeds.tdm_policy, name="tdm_policy"),
    path("licenses/<uuid:public_id>.xml", views_feeds.rsl_licence, name="rsl_licence"),
    path("c/<slug:handle>/robots.txt", views_feeds.creator_robots, name="creator_robots"),
    path("c/<slug:handle>/ai.txt", views_feeds.creator_ai_txt, name="creator_ai_txt"),
    path("c/<slug:handle>/tdmrep.json", views_feeds.creator_tdmrep, name="creator_tdmrep"),
    path("c/<slug:handle>/rsl.xml", views_feeds.creator_rsl, name="creator_rsl"),
    path("c/<slug:handle>/headers.txt", views_feeds.creator_headers, name="creator_headers"),
    path("hosts/", views_feeds.hosts, name="hosts"),
    path("hosts/<str:host>/robots.txt", views_feeds.host_robots, name="host_robots"),
    path("hosts/<str:host>/ai.txt", views_feeds.host_ai_txt, name="host_ai_txt"),
    path("hosts/<str:host>/rsl.xml", views_feeds.host_rsl, name="host_rsl"),
    path("hosts/<str:host>/.well-known/tdmrep.json", views_feeds.host_tdmrep, name="host_tdmrep"),
    path("hosts/<str:host>/index.json", views_feeds.host_index, name="host_index"),
    re_path(
        rf"^hosts/(?P<host>[^/]+)/shards/{SHARD}/robots\.txt$",
        views_feeds.host_shard_robots,
        name="host_shard_robots",
    ),
    re_path(
        rf"^hosts/(?P<host>[^/]+)/shards/{SHARD}/ai\.txt$",
        views_feeds.host_shard_ai_txt,
        name="host_shard_ai_txt",
    ),
    re_path(
        rf"^hosts/(?P<host>[^/]+)/shards/{SHARD}/rsl\.xml$",
        views_feeds.host_shard_rsl,
        name="host_shard_rsl",
    ),
    re_path(
        rf"^hosts/(?P<host>[^/]+)/shards/{SHARD}/tdmrep\.json$",
        views_feeds.host_shard_tdmrep,
        name="host_shard_tdmrep",
    ),
]

# --- The signed-in artist's kit for publishing their choices on their own website -------------
publish = [
    path("publish/", views_publish.publish_kit, name="publish_kit"),
]

# --- Disputes as artists see them: contesting a claim, and the page of each dispute -----------
disputes = [
    path("t/<uuid:public_id>/contest/", views_disputes.contest, name="contest_claim"),
    path("disputes/<uuid:public_id>/", views_disputes.dispute_detail, name="dispute_detail"),
    path(
        "disputes/<uuid:public_id>/evidence/<uuid:evidence_id>/",
        views_disputes.evidence_download,
        name="evidence_download",
    ),
]

# --- Proving claims: the artist's proofs and their checks, hiding a co-claimant's link, and the
# artist's public page ----------------------------------------------------------------------------
proofs = [
    path("proofs/", views_proofs.proof_list, name="proofs"),
    path("proofs/new/", views_proofs.proof_start, name="proof_start"),
    path("proofs/<uuid:public_id>/check/", views_proofs.proof_check, name="proof_check"),
    path("proofs/<uuid:public_id>/remove/", views_proofs.proof_remove, name="proof_remove"),
    path(
        "tracks/<uuid:public_id>/links/hide/",
        views_proofs.track_hide_link,
        name="track_hide_link",
    ),
    path("c/<slug:handle>/", views_proofs.creator_page, name="creator_page"),
]

# --- The transparency log: its page, checkpoint and tiles (C2SP formats), witnesses' cosignatures,
# and the keys the API's receipts are signed with
TILE = r"(?P<path>(?:x[0-9]{3}/)*[0-9]{3}(?:\.p/[0-9]+)?)"
transparency_log = [
    path("log/", views_log.log_page, name="log"),
    path("log/checkpoint", views_log.checkpoint, name="log_checkpoint"),
    path("log/consent_verify.py", views_log.verifier_script, name="log_verifier_script"),
    path(
        "log/checkpoint/<int:size>/cosignatures",
        views_log.add_cosignatures,
        name="log_cosignatures",
    ),
    re_path(rf"^log/tile/entries/{TILE}$", views_log.entry_bundle, name="log_entry_bundle"),
    re_path(rf"^log/tile/(?P<level>[0-9]+)/{TILE}$", views_log.hash_tile, name="log_hash_tile"),
    path(".well-known/jwks.json", views_log.jwks, name="receipt_keys"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("api.urls")),  # /api/ and /platform/
    *public,
    *artist,
    *catalogue_import,
    *feeds,
    *publish,
    *disputes,
    *proofs,
    *transparency_log,
]
