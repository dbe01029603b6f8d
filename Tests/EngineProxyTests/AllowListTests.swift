import Testing

@testable import EngineProxy

@Suite("EngineProxy.decide")
struct AllowListTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var method: String
        var target: String
        var restart: Bool = false
        var expected: EngineProxy.Decision
        var testDescription: String { "\(method) \(target)\(restart ? " (restart allowed)" : "")" }
    }

    static let id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

    @Test(
        "the calls supervise makes are allowed, with or without a version prefix and with any query",
        arguments: [
            Case(method: "GET", target: "/_ping", expected: .allow(.ping)),
            Case(method: "GET", target: "/v1.41/_ping", expected: .allow(.ping)),
            Case(method: "GET", target: "/v1.41/version", expected: .allow(.version)),
            Case(method: "GET", target: "/version", expected: .allow(.version)),
            Case(method: "GET", target: "/v1.47/info", expected: .allow(.info)),
            Case(method: "GET", target: "/v1.41/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D", expected: .allow(.events)),
            Case(method: "GET", target: "/v1.41/containers/json?all=1&filters=%7B%7D", expected: .allow(.containerList)),
            Case(method: "GET", target: "/v1.41/containers/\(id)/json", expected: .allow(.containerInspect)),
            Case(method: "GET", target: "/v1.41/containers/stackpilot-monitoring-exporter-1/json", expected: .allow(.containerInspect)),
            Case(method: "GET", target: "/v1.41/containers/\(id)/stats?stream=false&one-shot=true", expected: .allow(.containerStats)),
            Case(method: "GET", target: "/v1/containers/json", expected: .allow(.containerList)),
            Case(method: "POST", target: "/v1.41/containers/\(id)/restart?t=10", restart: true, expected: .allow(.containerRestart)),
            Case(method: "POST", target: "/containers/my_app.v2-1/restart", restart: true, expected: .allow(.containerRestart)),
            Case(method: "GET", target: "/v1.40/nodes", expected: .allow(.nodeList)),
            Case(method: "GET", target: "/v1.40/services?status=true", expected: .allow(.serviceList)),
            Case(method: "GET", target: "/v1.40/tasks?filters=%7B%22desired-state%22%3A%7B%22running%22%3Atrue%7D%7D", expected: .allow(.taskList)),
            Case(method: "GET", target: "/networks", expected: .allow(.networkList)),
        ])
    func allowed(_ c: Case) {
        #expect(EngineProxy.decide(method: c.method, target: c.target, policy: .init(allowRestart: c.restart)) == c.expected)
    }

    @Test(
        "everything else is refused, with a stable reason",
        arguments: [
            // Writes and reads the exporter does not make.
            Case(method: "POST", target: "/v1.41/containers/create", restart: true, expected: .deny(.notAllowed)),
            Case(method: "POST", target: "/v1.41/containers/\(id)/kill", restart: true, expected: .deny(.notAllowed)),
            Case(method: "POST", target: "/v1.41/containers/\(id)/start", restart: true, expected: .deny(.notAllowed)),
            Case(method: "POST", target: "/v1.41/containers/\(id)/exec", restart: true, expected: .deny(.notAllowed)),
            Case(method: "POST", target: "/v1.41/exec/abc/start", restart: true, expected: .deny(.notAllowed)),
            Case(method: "DELETE", target: "/v1.41/containers/\(id)?force=1", restart: true, expected: .deny(.notAllowed)),
            Case(method: "GET", target: "/v1.41/containers/\(id)/logs?stdout=1", expected: .deny(.notAllowed)),
            Case(method: "GET", target: "/v1.41/containers/\(id)/archive?path=/etc", expected: .deny(.notAllowed)),
            Case(method: "GET", target: "/v1.41/images/json", expected: .deny(.notAllowed)),
            Case(method: "POST", target: "/v1.41/build", restart: true, expected: .deny(.notAllowed)),
            Case(method: "GET", target: "/v1.41/secrets", expected: .deny(.notAllowed)),
            Case(method: "GET", target: "/v1.41/configs", expected: .deny(.notAllowed)),
            Case(method: "GET", target: "/v1.41/services/web/logs", expected: .deny(.notAllowed)),
            Case(method: "POST", target: "/v1.41/services/create", restart: true, expected: .deny(.notAllowed)),
            Case(method: "POST", target: "/v1.41/nodes/n1/update", restart: true, expected: .deny(.notAllowed)),
            Case(method: "DELETE", target: "/v1.41/networks/stackpilot", restart: true, expected: .deny(.notAllowed)),
            Case(method: "POST", target: "/v1.41/swarm/leave", restart: true, expected: .deny(.notAllowed)),
            Case(method: "POST", target: "/v1.41/containers/\(id)/json", restart: true, expected: .deny(.notAllowed)),
            Case(method: "PUT", target: "/v1.41/containers/\(id)/archive", restart: true, expected: .deny(.notAllowed)),
            Case(method: "HEAD", target: "/_ping", expected: .deny(.notAllowed)),
            Case(method: "get", target: "/v1.41/containers/json", expected: .deny(.notAllowed)),
            Case(method: "GET", target: "/v1.41/containers/json/extra", expected: .deny(.notAllowed)),
            Case(method: "GET", target: "/v1.41/v1.41/containers/json", expected: .deny(.notAllowed)),
            Case(method: "GET", target: "/vx/containers/json", expected: .deny(.notAllowed)),
            Case(method: "GET", target: "/v1.41/containers/-x/json", expected: .deny(.notAllowed)),
            Case(method: "GET", target: "/v1.41/containers/.hidden/json", expected: .deny(.notAllowed)),
            // Restart only when healing is on.
            Case(method: "POST", target: "/v1.41/containers/\(id)/restart", expected: .deny(.restartDisabled)),
            // Dot segments, however placed.
            Case(method: "POST", target: "/containers/x/../../exec", restart: true, expected: .deny(.dotSegment)),
            Case(method: "GET", target: "/v1.41/containers/../images/json", expected: .deny(.dotSegment)),
            Case(method: "GET", target: "/v1.41/containers/x/../json", expected: .deny(.dotSegment)),
            Case(method: "GET", target: "/v1.41/./containers/json", expected: .deny(.dotSegment)),
            Case(method: "POST", target: "/v1.41/containers/x/restart/..", restart: true, expected: .deny(.dotSegment)),
            // Encoded tricks: the engine decodes the path, so no % passes.
            Case(method: "POST", target: "/containers/x/%2e%2e/%2e%2e/exec", restart: true, expected: .deny(.encoded)),
            Case(method: "GET", target: "/v1.41/containers/x%2F..%2Fimages/json", expected: .deny(.encoded)),
            Case(method: "GET", target: "/v1.41/containers/%6aso%6e", expected: .deny(.encoded)),
            Case(method: "GET", target: "/v1.41/%5fping", expected: .deny(.encoded)),
            // Malformed targets.
            Case(method: "GET", target: "http://docker/v1.41/containers/json", expected: .deny(.malformed)),
            Case(method: "GET", target: "*", expected: .deny(.malformed)),
            Case(method: "GET", target: "", expected: .deny(.malformed)),
            Case(method: "GET", target: "//v1.41/containers/json", expected: .deny(.malformed)),
            Case(method: "GET", target: "/v1.41//containers/json", expected: .deny(.malformed)),
            Case(method: "GET", target: "/v1.41/containers/json/", expected: .deny(.malformed)),
            Case(method: "GET", target: "/v1.41/containers\\..\\images/json", expected: .deny(.malformed)),
            Case(method: "GET", target: "/v1.41/containers/json#../../exec", expected: .deny(.malformed)),
            Case(method: "GET", target: "/v1.41/containers/x y/json", expected: .deny(.malformed)),
            Case(method: "GET", target: "/v1.41/containers/x\u{0}/json", expected: .deny(.malformed)),
            Case(method: "GET", target: "/v1.41/containers/é/json", expected: .deny(.malformed)),
        ])
    func refused(_ c: Case) {
        #expect(EngineProxy.decide(method: c.method, target: c.target, policy: .init(allowRestart: c.restart)) == c.expected)
    }

    @Test("every endpoint of the table is reachable by exactly one method")
    func table() {
        #expect(Set(EngineProxy.Rule.table.map(\.endpoint)) == Set(EngineProxy.Endpoint.allCases))
        #expect(EngineProxy.Rule.table.filter { $0.method != "GET" }.map(\.endpoint) == [.containerRestart])
    }

    struct ListenCase: Sendable, CustomTestStringConvertible {
        var text: String
        var path: String?
        var testDescription: String { text }
    }

    @Test(
        "--listen takes the absolute path of a unix socket",
        arguments: [
            ListenCase(text: "unix:///run/stackpilot/engine.sock", path: "/run/stackpilot/engine.sock"),
            ListenCase(text: "/tmp/engine.sock", path: "/tmp/engine.sock"),
            ListenCase(text: "unix://run/engine.sock", path: nil),
            ListenCase(text: "engine.sock", path: nil),
            ListenCase(text: "/", path: nil),
            ListenCase(text: "/run/stackpilot/", path: nil),
            ListenCase(text: "/run/../etc/engine.sock", path: nil),
            ListenCase(text: "/" + String(repeating: "a", count: 120), path: nil),
            ListenCase(text: "tcp://0.0.0.0:2375", path: nil),
        ])
    func listen(_ c: ListenCase) {
        #expect((try? EngineProxy.Server.parseListen(c.text)) == c.path)
    }
}
