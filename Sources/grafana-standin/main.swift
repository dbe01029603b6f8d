import GrafanaStandIn

await GrafanaStandInCommand.main()
