import HTTPTransport

extension PrometheusAPI {
    public enum TargetState: String, Sendable {
        case active, dropped, any
    }

    /// One scrape target as `/api/v1/targets` reports it.
    public struct Target: Sendable, Decodable, Hashable {
        public enum Health: String, Sendable, Decodable, Hashable {
            case up, down, unknown
        }

        /// Labels after relabelling (`job`, `instance`, ...).
        public var labels: [String: String]
        public var discoveredLabels: [String: String]?
        public var scrapePool: String
        public var scrapeUrl: String
        public var globalUrl: String?
        /// Empty when the last scrape succeeded.
        public var lastError: String
        public var lastScrape: String?
        public var lastScrapeDuration: Double?
        public var health: Health
        public var scrapeInterval: String?
        public var scrapeTimeout: String?

        public var job: String? { labels["job"] }
        public var instance: String? { labels["instance"] }
    }

    public struct DroppedTarget: Sendable, Decodable, Hashable {
        public var discoveredLabels: [String: String]
    }

    public struct Targets: Sendable, Decodable, Hashable {
        public var activeTargets: [Target]
        public var droppedTargets: [DroppedTarget]

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            activeTargets = try container.decodeIfPresent([Target].self, forKey: .activeTargets) ?? []
            droppedTargets = try container.decodeIfPresent([DroppedTarget].self, forKey: .droppedTargets) ?? []
        }

        enum CodingKeys: String, CodingKey { case activeTargets, droppedTargets }

        /// Active targets of scrape job `job`.
        public func active(job: String) -> [Target] {
            activeTargets.filter { $0.scrapePool == job || $0.job == job }
        }
    }
}

extension PrometheusAPI.Client {
    /// Scrape targets with their health and last error. Maps to `GET /api/v1/targets`.
    public func targets(state: PrometheusAPI.TargetState = .active) async throws(PrometheusAPI.Error) -> PrometheusAPI.Targets {
        try await get("/api/v1/targets", query: [("state", state.rawValue)], as: PrometheusAPI.Targets.self)
    }
}
