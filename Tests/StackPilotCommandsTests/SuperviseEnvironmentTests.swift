import Testing

@testable import Compose
@testable import StackPilotCommands

/// The exporter service of stacks/monitoring.yml runs supervise on the stack's network, where the
/// manifest's 127.0.0.1 URLs are the container itself: STACKPILOT_PROMETHEUS_URL and
/// STACKPILOT_GRAFANA_URL replace them.
@Suite("stackpilot supervise: URLs from the environment")
struct SuperviseEnvironmentTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var arguments: [String]
        var environment: [String: String]
        var prometheus: String?
        var grafana: String?
    }

    @Test(
        "a flag beats the variable, the variable beats the manifest, an empty one counts as unset",
        arguments: [
            Case(testDescription: "neither: the manifest's", arguments: [], environment: [:], prometheus: nil, grafana: nil),
            Case(
                testDescription: "the variables, as in monitoring.yml", arguments: [],
                environment: ["STACKPILOT_PROMETHEUS_URL": "http://prometheus:9090", "STACKPILOT_GRAFANA_URL": "http://grafana:3000"],
                prometheus: "http://prometheus:9090", grafana: "http://grafana:3000"),
            Case(
                testDescription: "flags win", arguments: ["--prometheus-url", "http://p:1", "--grafana-url", "http://g:2"],
                environment: ["STACKPILOT_PROMETHEUS_URL": "http://prometheus:9090", "STACKPILOT_GRAFANA_URL": "http://grafana:3000"],
                prometheus: "http://p:1", grafana: "http://g:2"),
            Case(
                testDescription: "empty variables are unset", arguments: [],
                environment: ["STACKPILOT_PROMETHEUS_URL": "", "STACKPILOT_GRAFANA_URL": ""], prometheus: nil, grafana: nil),
            Case(
                testDescription: "GRAFANA_URL alone is left to the Grafana options", arguments: [],
                environment: ["GRAFANA_URL": "http://elsewhere:3000"], prometheus: nil, grafana: nil),
        ])
    func overrides(_ c: Case) throws {
        let command = try StackPilot.Supervise.parse(c.arguments)
        #expect(command.urlOverrides(environment: c.environment) == .init(prometheus: c.prometheus, grafana: c.grafana))
    }

    @Test("--targets-by-address checks each target at its address, as Prometheus scrapes it")
    func byAddress() {
        let target = Manifest.Target(
            job: "api", service: "api", project: "p", address: "api:5000",
            metricsURL: "http://127.0.0.1:5000/metrics", metrics: ["http_requests_total"])
        #expect(StackPilot.Supervise.byAddress([target]).map(\.metricsURL) == ["http://api:5000/metrics"])
    }
}
