/// The engine allow-list proxy: a unix socket that passes on to the Docker engine only the calls
/// `stackpilot supervise` makes, so the exporter container never holds the real socket (which is
/// root-equivalent whether it is mounted read-only or not). See README.md.
public enum EngineProxy {}

extension EngineProxy {
    /// What the proxy lets through beyond the read-only calls.
    public struct Policy: Sendable, Equatable {
        /// `POST /containers/{id}/restart`: what healing needs; off unless asked for.
        public var allowRestart: Bool

        public init(allowRestart: Bool = false) {
            self.allowRestart = allowRestart
        }
    }

    /// One call of the allow-list, declared once in `Rule.table`.
    public enum Endpoint: String, Sendable, CaseIterable {
        case ping, version, info, events
        case containerList = "container-list"
        case containerInspect = "container-inspect"
        case containerStats = "container-stats"
        case containerRestart = "container-restart"
        // Swarm, read-only: what Prometheus' dockerswarm_sd_configs and supervise on a manager list.
        case nodeList = "node-list"
        case serviceList = "service-list"
        case taskList = "task-list"
        case networkList = "network-list"
    }

    /// Why a request is refused; a stable code for tests and logs.
    public enum Denial: String, Sendable, Equatable {
        /// Not `/…` (absolute-form, `*`), or a fragment, backslash, control character or empty segment.
        case malformed
        /// A `%` in the path: the engine decodes it, so an encoded `/` or `.` could route elsewhere.
        case encoded
        /// A `.` or `..` segment.
        case dotSegment = "dot-segment"
        /// On the allow-list only when the policy allows restarts.
        case restartDisabled = "restart-disabled"
        /// Any other method and path.
        case notAllowed = "not-allowed"
    }

    public enum Decision: Sendable, Equatable {
        case allow(Endpoint)
        case deny(Denial)

        public var isAllowed: Bool {
            if case .allow = self { return true }
            return false
        }
    }

    /// A method and a path pattern; `{id}` matches one container id or name.
    struct Rule: Sendable {
        var method: String
        var segments: [String]
        var endpoint: Endpoint

        static let table: [Rule] = [
            Rule(method: "GET", segments: ["_ping"], endpoint: .ping),
            Rule(method: "GET", segments: ["version"], endpoint: .version),
            Rule(method: "GET", segments: ["info"], endpoint: .info),
            Rule(method: "GET", segments: ["events"], endpoint: .events),
            Rule(method: "GET", segments: ["containers", "json"], endpoint: .containerList),
            Rule(method: "GET", segments: ["containers", "{id}", "json"], endpoint: .containerInspect),
            Rule(method: "GET", segments: ["containers", "{id}", "stats"], endpoint: .containerStats),
            Rule(method: "POST", segments: ["containers", "{id}", "restart"], endpoint: .containerRestart),
            Rule(method: "GET", segments: ["nodes"], endpoint: .nodeList),
            Rule(method: "GET", segments: ["services"], endpoint: .serviceList),
            Rule(method: "GET", segments: ["tasks"], endpoint: .taskList),
            Rule(method: "GET", segments: ["networks"], endpoint: .networkList),
        ]

        func matches(method: String, _ path: [Substring]) -> Bool {
            guard method == self.method, path.count == segments.count else { return false }
            return zip(segments, path).allSatisfy { pattern, segment in
                pattern == "{id}" ? Self.isContainerReference(segment) : segment == pattern
            }
        }

        /// A container id or name as the engine accepts them: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
        static func isContainerReference(_ segment: Substring) -> Bool {
            guard let first = segment.unicodeScalars.first, isAlphanumeric(first) else { return false }
            return segment.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "_" || $0 == "." || $0 == "-" }
        }

        static func isAlphanumeric(_ c: Unicode.Scalar) -> Bool {
            c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c))
        }
    }

    /// Whether `method target` may reach the engine. `target` is the request line's target as
    /// received (`/v1.41/containers/json?all=1`), never decoded: anything a decoder or a path
    /// normaliser could turn into another route is refused before it is matched. The query is
    /// not part of the route (the engine routes on the path alone) and is passed on unchanged.
    public static func decide(method: String, target: String, policy: Policy) -> Decision {
        guard target.hasPrefix("/"), !target.contains("#"), !target.contains("\\"),
            !target.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || !$0.isASCII })
        else {
            return .deny(.malformed)
        }
        let path = target.prefix { $0 != "?" }
        if path.contains("%") { return .deny(.encoded) }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if segments.contains(where: { $0 == "." || $0 == ".." }) { return .deny(.dotSegment) }
        if segments.contains(where: \.isEmpty) { return .deny(.malformed) }
        if let first = segments.first, isVersionPrefix(first) { segments = segments.dropFirst() }
        let route = Array(segments)
        guard let rule = Rule.table.first(where: { $0.matches(method: method, route) }) else { return .deny(.notAllowed) }
        if rule.endpoint == .containerRestart && !policy.allowRestart { return .deny(.restartDisabled) }
        return .allow(rule.endpoint)
    }

    /// `v1.41`, `v1`: the engine's optional API version prefix.
    static func isVersionPrefix(_ segment: Substring) -> Bool {
        guard segment.first == "v" else { return false }
        let parts = segment.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }
}
