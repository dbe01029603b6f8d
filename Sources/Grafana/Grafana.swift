import Foundation

/// Grafana: an HTTP API client, the provisioning sync (datasource, folders, dashboards, alert rules)
/// and dashboard export. Leaf module: returns values and throws typed errors, never prints.
public enum Grafana {
    /// Sent as `User-Agent` on every request (shared contract).
    public static let userAgent = "stackpilot/0.1.0"

    /// The uid of the Prometheus datasource StackPilot provisions. Dashboards refer to it.
    public static let datasourceUID = "stackpilot-prometheus"
}

extension Grafana {
    /// Errors of the HTTP client: transport, HTTP status, decoding — kept apart.
    /// A non-2xx answer is always `.http`, never a decoding error.
    public enum ClientError: Error, Sendable, CustomStringConvertible {
        /// No HTTP answer at all (connection refused, DNS, timeout). `url` never carries credentials.
        case transport(url: String, underlying: String)
        /// Grafana answered with a non-2xx status; `message` is Grafana's `message` field when present,
        /// `status` its `status` field (e.g. `version-mismatch`, `name-exists`).
        case http(method: String, path: String, status: Int, message: String, grafanaStatus: String?)
        /// A 2xx answer whose body is not what the API documents.
        case decoding(path: String, reason: String, body: String)

        public var description: String {
            switch self {
            case .transport(let url, let underlying):
                "cannot reach Grafana at \(url): \(underlying)"
            case .http(let method, let path, let status, let message, let grafanaStatus):
                "Grafana answered \(status)\(grafanaStatus.map { " (\($0))" } ?? "") to \(method) \(path): \(message)"
            case .decoding(let path, let reason, let body):
                "unexpected answer from Grafana to \(path): \(reason); body starts: \(body.prefix(200))"
            }
        }

        /// Grafana's message, or the whole description when there was no HTTP answer.
        public var grafanaMessage: String {
            if case .http(_, _, _, let message, _) = self { return message }
            return description
        }

        /// The HTTP status, when Grafana answered.
        public var status: Int? {
            if case .http(_, _, let status, _, _) = self { return status }
            return nil
        }
    }

    /// Errors a user reads from `provision` / `export`, each one sentence saying what and where.
    public enum ProvisionError: Error, Sendable, CustomStringConvertible {
        /// `/api/health` never answered ok within the timeout.
        case unreachable(url: String, waited: Duration, lastError: String)
        /// 401/403 with the configured credentials (the secret itself is never included).
        case unauthorized(url: String, credentials: String)
        /// A dashboards/alerting/datasource source file is unreadable or invalid (bad input).
        case invalidSource(path: String, reason: String)
        /// The connection settings themselves are wrong (bad URL, unreadable *_FILE) (bad input).
        case invalidConfiguration(String)
        /// Dashboards to export were asked for by uid and do not exist.
        case dashboardNotFound(uid: String, url: String)

        public var description: String {
            switch self {
            case .unreachable(let url, let waited, let lastError):
                "Grafana at \(url) did not become healthy within \(Self.seconds(waited)) (last error: \(lastError)); check GRAFANA_URL and that Grafana is running."
            case .unauthorized(let url, let credentials):
                "Grafana at \(url) rejected the credentials (\(credentials)); check GRAFANA_TOKEN, or GRAFANA_USER/GRAFANA_PASSWORD (or *_FILE), or the credential variables stacks/stackpilot.yml names."
            case .invalidSource(let path, let reason):
                "\(path): \(reason)"
            case .invalidConfiguration(let message):
                message
            case .dashboardNotFound(let uid, let url):
                "no dashboard with uid \"\(uid)\" in Grafana at \(url)."
            }
        }

        /// True for errors caused by the user's input (exit code 2) rather than a failed operation (exit 1).
        public var isBadInput: Bool {
            switch self {
            case .invalidSource, .invalidConfiguration: true
            case .unreachable, .unauthorized, .dashboardNotFound: false
            }
        }

        static func seconds(_ duration: Duration) -> String {
            let (seconds, attoseconds) = duration.components
            let value = Double(seconds) + Double(attoseconds) / 1e18
            return value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
        }
    }
}
