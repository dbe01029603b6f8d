import ArgumentParser

extension Flags {
    /// `--manifest PATH`: the deployment (stacks/stackpilot.yml) that gives the stacks, Prometheus'
    /// and Grafana's URLs, Grafana's credential variables and the dashboards folder.
    public struct ManifestPath: ParsableArguments, Sendable {
        @Option(
            name: .customLong("manifest"),
            help: ArgumentHelp(
                "Manifest: the stacks, Prometheus' and Grafana's URLs, the dashboards folder (default: STACKPILOT_MANIFEST, else stacks/stackpilot.yml).",
                valueName: "path"))
        public var path: String?

        public init() {}
    }

    /// `--timeout`: how long to wait for Grafana's `/api/health`.
    public struct GrafanaTimeout: ParsableArguments, Sendable {
        @Option(
            name: .customLong("timeout"), help: ArgumentHelp("How long to wait for Grafana's /api/health (e.g. 60s, 2m, or seconds).", valueName: "duration"))
        public var timeout: DurationArgument = .seconds(60)

        public init() {}
    }
}
