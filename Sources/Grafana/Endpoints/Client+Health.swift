import Foundation
import HTTPTransport

extension Grafana {
    /// `GET /api/health`. `standIn` is set when the answer says it comes from grafana-standin.
    public struct Health: Sendable, Decodable, Equatable {
        public var database: String?
        public var version: String?
        public var commit: String?
        /// grafana-standin labels itself; real Grafana has no such field.
        public var standIn: Bool

        enum CodingKeys: String, CodingKey { case database, version, commit, standin, standIn, product, implementation }

        public init(database: String?, version: String?, commit: String?, standIn: Bool = false) {
            self.database = database
            self.version = version
            self.commit = commit
            self.standIn = standIn
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            database = try container.decodeIfPresent(String.self, forKey: .database)
            version = try container.decodeIfPresent(String.self, forKey: .version)
            commit = try container.decodeIfPresent(String.self, forKey: .commit)
            let flags = [CodingKeys.standin, .standIn].compactMap { try? container.decodeIfPresent(Bool.self, forKey: $0) }
            let names = [CodingKeys.product, .implementation, .standin, .standIn].compactMap { try? container.decodeIfPresent(String.self, forKey: $0) }
            standIn = flags.contains(true) || names.contains { $0.lowercased().contains("standin") || $0.lowercased().contains("stand-in") }
        }
    }
}

extension Grafana.Client {
    /// Maps to `GET /api/health` (no authentication).
    public func health() async throws(Grafana.ClientError) -> Grafana.Health {
        try decode(Grafana.Health.self, from: try await send(.get, "/api/health", authenticated: false), path: "/api/health")
    }

    /// Polls `/api/health` with exponential backoff (0.25 s doubling up to 2 s) until Grafana answers
    /// with `database: ok`, or throws `.unreachable` naming the URL once `timeout` has passed.
    public func waitUntilHealthy(timeout: Duration, clock: ContinuousClock = ContinuousClock()) async throws -> Grafana.Health {
        let start = clock.now
        var delay = Duration.milliseconds(250)
        var lastError = "no answer yet"
        while true {
            do {
                let health = try await health()
                if health.database == nil || health.database == "ok" { return health }
                lastError = "database is \(health.database ?? "unknown")"
            } catch {
                lastError = Self.shortReason(error)
            }
            try Task.checkCancellation()
            let elapsed = clock.now - start
            if elapsed >= timeout {
                throw Grafana.ProvisionError.unreachable(url: url, waited: timeout, lastError: lastError)
            }
            logger.debug("waiting for Grafana", metadata: ["url": "\(url)", "reason": "\(lastError)"])
            try await Task.sleep(for: min(delay, timeout - elapsed))
            delay = min(delay * 2, .seconds(2))
        }
    }

    /// Checks that the credentials are accepted: `GET /api/folders?limit=1` needs a logged-in user
    /// or token. 401/403 become `.unauthorized`.
    public func verifyCredentials() async throws {
        do {
            try await send(.get, "/api/folders?limit=1")
        } catch {
            if let status = error.status, status == 401 || status == 403 {
                throw Grafana.ProvisionError.unauthorized(url: url, credentials: credentials.description)
            }
            throw error
        }
    }

    static func shortReason(_ error: any Error) -> String {
        switch error {
        case let error as Grafana.ClientError:
            switch error {
            case .transport(_, let underlying): underlying
            case .http(_, _, let status, let message, _): "HTTP \(status): \(message)"
            case .decoding(_, let reason, _): reason
            }
        default: String(describing: error)
        }
    }
}
