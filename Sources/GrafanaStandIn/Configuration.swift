import Foundation

/// How a stand-in is set up. Built from Grafana's own environment variables (so the same compose
/// `environment:` works for the real image and this one) and overridden by flags.
public struct StandInConfiguration: Sendable {
    /// Version reported by `/api/health`: the Grafana release whose API is followed, marked as a stand-in.
    public static let version = "11.1.0-standin"
    public static let implementation = "grafana-standin (not Grafana)"

    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int
    public var adminUser: String
    public var adminPassword: String
    /// Where `datasources/`, `dashboards/` and `alerting/` provisioning files are read at start;
    /// `nil` or a missing directory means nothing is provisioned.
    public var provisioningPath: String?
    /// A service-account token accepted as `Authorization: Bearer <token>` with the Admin role,
    /// in addition to tokens created through `POST /api/serviceaccounts/:id/tokens`.
    public var serviceAccountToken: String?
    /// Answer dashboards with their keys sorted, as real Grafana does (it re-serialises a Go map);
    /// off by default: the stand-in keeps the key order the dashboard was posted with.
    public var sortDashboardKeys: Bool
    /// The data directory (Grafana's `paths.data`, `/var/lib/grafana` in its image): the state is
    /// kept there in `grafana-standin.json` across restarts. `nil`: in memory only. GF_PATHS_DATA.
    public var dataPath: String?
    /// Variables used to interpolate `$VAR` / `${VAR}` in provisioning files.
    public var environment: [String: String]
    /// A connection with no request in progress for this long is closed (a client holding
    /// connections open cannot keep the server's descriptors). STANDIN_IDLE_TIMEOUT_SECONDS.
    public var idleTimeout: Duration
    /// At most this many connections are served at once; further ones wait in the listen backlog
    /// until one closes. STANDIN_MAX_CONNECTIONS.
    public var maxConnections: Int

    public static let defaultIdleTimeout = Duration.seconds(30)
    public static let defaultMaxConnections = 256

    public init(
        host: String = "127.0.0.1",
        port: Int = 3000,
        adminUser: String = "admin",
        adminPassword: String = "admin",
        provisioningPath: String? = nil,
        serviceAccountToken: String? = nil,
        sortDashboardKeys: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        idleTimeout: Duration = StandInConfiguration.defaultIdleTimeout,
        maxConnections: Int = StandInConfiguration.defaultMaxConnections,
        dataPath: String? = nil
    ) {
        self.dataPath = dataPath
        self.host = host
        self.port = port
        self.adminUser = adminUser
        self.adminPassword = adminPassword
        self.provisioningPath = provisioningPath
        self.serviceAccountToken = serviceAccountToken
        self.sortDashboardKeys = sortDashboardKeys
        self.environment = environment
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }

    /// Reads Grafana's variables: GF_SERVER_HTTP_ADDR (127.0.0.1, where real Grafana listens on every
    /// address: the stacks set 0.0.0.0 explicitly), GF_SERVER_HTTP_PORT (3000),
    /// GF_SECURITY_ADMIN_USER / GF_SECURITY_ADMIN_PASSWORD / GF_SECURITY_ADMIN_PASSWORD__FILE (admin/admin),
    /// GF_PATHS_PROVISIONING (/etc/grafana/provisioning), GF_PATHS_DATA (none: in memory), plus STANDIN_SERVICE_ACCOUNT_TOKEN,
    /// STANDIN_SORT_DASHBOARD_KEYS=1, STANDIN_IDLE_TIMEOUT_SECONDS (30) and STANDIN_MAX_CONNECTIONS (256).
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws(StandInError) -> StandInConfiguration {
        var config = StandInConfiguration(host: "127.0.0.1", port: 3000, provisioningPath: "/etc/grafana/provisioning", environment: env)
        if let host = env["GF_SERVER_HTTP_ADDR"], !host.isEmpty { config.host = host }
        if let text = env["STANDIN_IDLE_TIMEOUT_SECONDS"], !text.isEmpty {
            guard let seconds = Int(text), (1...3600).contains(seconds) else {
                throw .configuration("STANDIN_IDLE_TIMEOUT_SECONDS=\(text) is not a number of seconds in 1...3600")
            }
            config.idleTimeout = .seconds(seconds)
        }
        if let text = env["STANDIN_MAX_CONNECTIONS"], !text.isEmpty {
            guard let count = Int(text), (1...65536).contains(count) else {
                throw .configuration("STANDIN_MAX_CONNECTIONS=\(text) is not a number in 1...65536")
            }
            config.maxConnections = count
        }
        if let portText = env["GF_SERVER_HTTP_PORT"], !portText.isEmpty {
            guard let port = Int(portText), (0...65535).contains(port) else {
                throw .configuration("GF_SERVER_HTTP_PORT=\(portText) is not a port number (0-65535)")
            }
            config.port = port
        }
        if let user = env["GF_SECURITY_ADMIN_USER"], !user.isEmpty { config.adminUser = user }
        if let file = env["GF_SECURITY_ADMIN_PASSWORD__FILE"], !file.isEmpty {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw .configuration("GF_SECURITY_ADMIN_PASSWORD__FILE: cannot read \(file)")
            }
            config.adminPassword = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let password = env["GF_SECURITY_ADMIN_PASSWORD"], !password.isEmpty {
            config.adminPassword = password
        }
        if let path = env["GF_PATHS_PROVISIONING"], !path.isEmpty { config.provisioningPath = path }
        if let path = env["GF_PATHS_DATA"], !path.isEmpty { config.dataPath = path }
        if let token = env["STANDIN_SERVICE_ACCOUNT_TOKEN"], !token.isEmpty { config.serviceAccountToken = token }
        if let sort = env["STANDIN_SORT_DASHBOARD_KEYS"] { config.sortDashboardKeys = ["1", "true", "yes"].contains(sort.lowercased()) }
        return config
    }
}

/// Errors the stand-in reports when it cannot start.
public enum StandInError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Bad settings (environment or flags).
    case configuration(String)
    /// A provisioning file that Grafana would refuse as well; `file` is the path, `reason` says why.
    case provisioning(file: String, reason: String)
    /// The server could not bind or stopped with an error.
    case server(String)
    /// The state kept in the data directory cannot be read back (`file`, and why).
    case database(file: String, reason: String)

    public var description: String {
        switch self {
        case .configuration(let message): "grafana-standin: \(message)"
        case .provisioning(let file, let reason): "grafana-standin: provisioning file \(file): \(reason)"
        case .server(let message): "grafana-standin: \(message)"
        case .database(let file, let reason): "grafana-standin: state file \(file) \(reason)"
        }
    }
}
