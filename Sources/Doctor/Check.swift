import Foundation

/// `doctor`: every troubleshooting step of the monitoring guide, run as checks that each report
/// what they saw (evidence), a verdict, and what to do about it (remedy).
public enum Doctor {}

extension Doctor {
    /// The verdict of one check. Ordered from best to worst so a report can take the maximum.
    public enum Status: String, Sendable, Codable, Comparable, CaseIterable {
        case ok
        case notApplicable = "not_applicable"
        case warning
        case failure

        private var rank: Int {
            switch self {
            case .ok: 0
            case .notApplicable: 1
            case .warning: 2
            case .failure: 3
            }
        }

        public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rank < rhs.rank }

        /// The value exported as `stackpilot_check_status`: 0 ok, 1 warning, 2 failure.
        public var metricValue: Int {
            switch self {
            case .ok, .notApplicable: 0
            case .warning: 1
            case .failure: 2
            }
        }
    }

    /// The groups of the report, in the order the guide's troubleshooting walks them.
    public enum Group: String, Sendable, Codable, CaseIterable {
        case engine
        case stacks
        case metrics
        case prometheus
        case grafana
        case alerts
        case resources
        case gpu
        case swarm
    }

    /// What a check found.
    public struct Finding: Sendable, Codable, Equatable {
        public var status: Status
        /// One line: what is true now, e.g. "Prometheus is ready (v2.53.0)".
        public var summary: String
        /// What the check saw, line by line (never a secret).
        public var evidence: [String]
        /// What to do, line by line; empty when nothing is to be done.
        public var remedy: [String]
        /// A safe repair `doctor --fix` may apply.
        public var fix: Fix?
        /// What was found, as a stable code (`<group>.<subject>.<condition>`, e.g. `prometheus.targets.down`)
        /// that scripts and tests match instead of the summary's wording; nil where the status says it all.
        public var code: String?

        public init(_ status: Status, _ summary: String, evidence: [String] = [], remedy: [String] = [], fix: Fix? = nil, code: String? = nil) {
            self.status = status
            self.summary = summary
            self.evidence = evidence
            self.remedy = remedy
            self.fix = fix
            self.code = code
        }

        public static func ok(_ summary: String, evidence: [String] = [], code: String? = nil) -> Finding {
            Finding(.ok, summary, evidence: evidence, code: code)
        }
        public static func warning(_ summary: String, evidence: [String] = [], remedy: [String] = [], fix: Fix? = nil, code: String? = nil) -> Finding {
            Finding(.warning, summary, evidence: evidence, remedy: remedy, fix: fix, code: code)
        }
        public static func failure(_ summary: String, evidence: [String] = [], remedy: [String] = [], fix: Fix? = nil, code: String? = nil) -> Finding {
            Finding(.failure, summary, evidence: evidence, remedy: remedy, fix: fix, code: code)
        }
        public static func notApplicable(_ summary: String, evidence: [String] = [], code: String? = nil) -> Finding {
            Finding(.notApplicable, summary, evidence: evidence, code: code)
        }

        /// This finding with its stable code.
        public func coded(_ code: String) -> Finding {
            var copy = self
            copy.code = code
            return copy
        }
    }

    /// A safe remedy that `doctor --fix` can apply on its own.
    public enum Fix: Sendable, Codable, Equatable {
        /// Start a service's stopped container.
        case startContainer(id: String, service: String)
        /// Restart a running but unhealthy container.
        case restartContainer(id: String, service: String)
        /// Run Grafana provisioning again.
        case provisionGrafana

        public var description: String {
            switch self {
            case .startContainer(_, let service): "start the stopped container of \(service)"
            case .restartContainer(_, let service): "restart the unhealthy container of \(service)"
            case .provisionGrafana: "provision Grafana again (datasource, folders, dashboards, alert rules)"
            }
        }
    }

    /// One troubleshooting step.
    public struct Check: Sendable {
        public var group: Group
        /// Short and stable: it is a metric label (`stackpilot_check_status{group,check}`).
        public var name: String
        public var timeout: Duration
        public var run: @Sendable () async throws -> Finding

        public init(_ group: Group, _ name: String, timeout: Duration = .seconds(5), run: @escaping @Sendable () async throws -> Finding) {
            self.group = group
            self.name = name
            self.timeout = timeout
            self.run = run
        }
    }

    /// A check's finding with where it came from and how long it took.
    public struct Result: Sendable, Codable, Equatable {
        public var group: Group
        public var check: String
        public var finding: Finding
        public var duration: Duration

        enum CodingKeys: String, CodingKey { case group, check, finding, durationSeconds = "duration_seconds" }

        public init(group: Group, check: String, finding: Finding, duration: Duration) {
            self.group = group
            self.check = check
            self.finding = finding
            self.duration = duration
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            group = try c.decode(Group.self, forKey: .group)
            check = try c.decode(String.self, forKey: .check)
            finding = try c.decode(Finding.self, forKey: .finding)
            duration = .milliseconds(Int64(try c.decode(Double.self, forKey: .durationSeconds) * 1000))
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(group, forKey: .group)
            try c.encode(check, forKey: .check)
            try c.encode(finding, forKey: .finding)
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            try c.encode((seconds * 1000).rounded() / 1000, forKey: .durationSeconds)
        }
    }

    /// All results of one run, in check order.
    public struct Report: Sendable, Codable, Equatable {
        public var results: [Result]

        public init(results: [Result]) { self.results = results }

        public var worst: Status { results.map(\.finding.status).max() ?? .ok }
        public var hasFailure: Bool { worst == .failure }

        public func count(_ status: Status) -> Int { results.filter { $0.finding.status == status }.count }
    }
}
