"""Public feeds and signals: the registry's own robots.txt and TDMRep file, per-track twins,
licences and policies, each creator's publishing kit, and the per-host robots-style feeds."""

from django.urls import path

from registry import views_feeds

urlpatterns = [
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
]
