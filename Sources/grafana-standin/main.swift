import GrafanaStandIn

await GrafanaStandInCommand.start()
