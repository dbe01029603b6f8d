import Durations
import HTTPTransport
import Yams

extension PrometheusAPI {
    /// The loaded configuration as Prometheus reports it, with the scrape settings parsed out.
    public struct RuntimeConfig: Sendable, Hashable {
        public struct ScrapeJob: Sendable, Hashable {
            public var name: String
            /// The job's own interval, or the global one when the job does not set it.
            public var scrapeInterval: Duration
            public var scrapeTimeout: Duration?
            public var metricsPath: String
            /// `host:port` of the job's static targets.
            public var staticTargets: [String]
        }

        /// The YAML text exactly as Prometheus returned it.
        public var yaml: String
        /// `global.scrape_interval` (Prometheus' default, 1m, when the config does not set it).
        public var globalScrapeInterval: Duration
        public var globalEvaluationInterval: Duration
        public var jobs: [ScrapeJob]

        public func job(_ name: String) -> ScrapeJob? { jobs.first { $0.name == name } }

        /// Parses a Prometheus configuration text. Throws a message naming the bad field.
        public init(yaml: String) throws(PrometheusAPI.ConfigError) {
            self.yaml = yaml
            let root: Any?
            do {
                root = try Yams.load(yaml: yaml)
            } catch {
                throw PrometheusAPI.ConfigError(message: "configuration is not YAML: \(error)")
            }
            let top = root as? [String: Any] ?? [:]
            let global = top["global"] as? [String: Any] ?? [:]
            func duration(_ value: Any?, field: String, default fallback: Duration?) throws(PrometheusAPI.ConfigError) -> Duration? {
                guard let value else { return fallback }
                guard let parsed = PrometheusAPI.parseDuration("\(value)") else {
                    throw PrometheusAPI.ConfigError(message: "\(field): \"\(value)\" is not a Prometheus duration")
                }
                return parsed
            }
            globalScrapeInterval = try duration(global["scrape_interval"], field: "global.scrape_interval", default: .seconds(60))!
            globalEvaluationInterval = try duration(global["evaluation_interval"], field: "global.evaluation_interval", default: .seconds(60))!
            let globalTimeout = try duration(global["scrape_timeout"], field: "global.scrape_timeout", default: nil)
            var jobs: [ScrapeJob] = []
            for (index, entry) in (top["scrape_configs"] as? [Any] ?? []).enumerated() {
                guard let job = entry as? [String: Any], let name = job["job_name"] as? String else {
                    throw PrometheusAPI.ConfigError(message: "scrape_configs[\(index)] has no job_name")
                }
                let interval = try duration(job["scrape_interval"], field: "scrape_configs[\(name)].scrape_interval", default: globalScrapeInterval)!
                let timeout = try duration(job["scrape_timeout"], field: "scrape_configs[\(name)].scrape_timeout", default: globalTimeout)
                var targets: [String] = []
                for group in job["static_configs"] as? [Any] ?? [] {
                    for target in (group as? [String: Any])?["targets"] as? [Any] ?? [] {
                        targets.append("\(target)")
                    }
                }
                jobs.append(
                    ScrapeJob(
                        name: name, scrapeInterval: interval, scrapeTimeout: timeout,
                        metricsPath: job["metrics_path"] as? String ?? "/metrics", staticTargets: targets))
            }
            self.jobs = jobs
        }
    }

    public struct ConfigError: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Parses a Prometheus duration: `1h30m`, `15s`, `500ms`, `2d`, `1w`, `1y`, `0`; nil for anything else,
    /// including the empty string. The grammar is ``PrometheusDuration`` (module `Durations`).
    public static func parseDuration(_ text: String) -> Duration? {
        PrometheusDuration.parse(text)
    }
}

extension PrometheusAPI.Client {
    /// The configuration Prometheus has loaded, with scrape intervals per job.
    /// Maps to `GET /api/v1/status/config`.
    public func config() async throws(PrometheusAPI.Error) -> PrometheusAPI.RuntimeConfig {
        struct Body: Decodable { var yaml: String }
        let path = "/api/v1/status/config"
        let body = try await get(path, as: Body.self)
        do {
            return try PrometheusAPI.RuntimeConfig(yaml: body.yaml)
        } catch {
            throw .decoding(error.message, path: path, body: body.yaml)
        }
    }

    /// The command-line flags Prometheus runs with (`storage.tsdb.retention.time`, `web.enable-lifecycle`, ...).
    /// Maps to `GET /api/v1/status/flags`.
    public func flags() async throws(PrometheusAPI.Error) -> [String: String] {
        try await get("/api/v1/status/flags", as: [String: String].self)
    }
}
