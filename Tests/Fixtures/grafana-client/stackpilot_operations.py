"""The operations StackPilot performs on Grafana, through the PyPI package grafana-client.

Usage: python stackpilot_operations.py URL (basic|token) SECRET
Prints one JSON line per step ({"step": ..., "ok": true|false, ...}); exits 1 when a step failed.
Run by GrafanaStandInTests ("grafana-client"), against grafana-standin.
"""
import json
import sys
import urllib.parse

from grafana_client import GrafanaApi, TokenAuth
from grafana_client.client import GrafanaClientError

url, mode, secret = sys.argv[1], sys.argv[2], sys.argv[3]
parts = urllib.parse.urlparse(url)
auth = ("admin", secret) if mode == "basic" else TokenAuth(secret)
api = GrafanaApi(auth=auth, host=parts.hostname, port=parts.port, protocol=parts.scheme, timeout=10)
failed = False


def step(name, call):
    global failed
    try:
        result = call()
        print(json.dumps({"step": name, "ok": True, "result": result}, default=str))
        return result
    except Exception as error:  # every failure is reported, none stops the script
        failed = True
        status = getattr(error, "status_code", None)
        print(json.dumps({"step": name, "ok": False, "status": status, "error": str(error)[:300]}))
        return None


suffix = mode
step("connect", lambda: api.connect())
step("version", lambda: api.version)
step("health", lambda: api.health.check()["version"])
uid = f"gc-ds-{suffix}"
step("datasource.create", lambda: api.datasource.create_datasource(
    {"name": f"GC {suffix}", "type": "prometheus", "uid": uid, "url": "http://prometheus:9090", "access": "proxy"})["datasource"]["uid"])
step("datasource.get", lambda: api.datasource.get_datasource_by_uid(uid)["url"])
step("datasource.update", lambda: api.datasource.update_datasource_by_uid(
    uid, {"name": f"GC {suffix}", "type": "prometheus", "url": "http://prometheus:9091", "access": "proxy"})["datasource"]["url"])
folder = f"gc-folder-{suffix}"
step("folder.create", lambda: api.folder.create_folder(f"GC folder {suffix}", uid=folder)["uid"])
step("folder.get", lambda: api.folder.get_folder(folder)["title"])
board = f"gc-board-{suffix}"
step("dashboard.create", lambda: api.dashboard.update_dashboard(
    {"dashboard": {"title": f"GC board {suffix}", "uid": board, "panels": []}, "folderUid": folder, "overwrite": False})["version"])
step("dashboard.get", lambda: api.dashboard.get_dashboard(board)["dashboard"]["uid"])
step("alertrules.list", lambda: len(api.alertingprovisioning.get_alertrules_all()))
rule = step("alertrule.get", lambda: api.alertingprovisioning.get_alertrule("high-error-rate")) or {}
step("rulegroup.get", lambda: api.alertingprovisioning.get_rule_group(rule.get("folderUID", "?"), "stackpilot")["interval"])
if mode == "basic":
    step("provisioning.reload", lambda: api.client.POST("/admin/provisioning/alerting/reload")["message"])
sys.exit(1 if failed else 0)
