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
    /// Variables used to interpolate `$VAR` / `${VAR}` in provisioning files.
    public var environment: [String: String]

    public init(
        host: String = "127.0.0.1",
        port: Int = 3000,
        adminUser: String = "admin",
        adminPassword: String = "admin",
        provisioningPath: String? = nil,
        serviceAccountToken: String? = nil,
        sortDashboardKeys: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.host = host
        self.port = port
        self.adminUser = adminUser
        self.adminPassword = adminPassword
        self.provisioningPath = provisioningPath
        self.serviceAccountToken = serviceAccountToken
        self.sortDashboardKeys = sortDashboardKeys
        self.environment = environment
    }

    /// Reads Grafana's variables: GF_SERVER_HTTP_ADDR (0.0.0.0), GF_SERVER_HTTP_PORT (3000),
    /// GF_SECURITY_ADMIN_USER / GF_SECURITY_ADMIN_PASSWORD / GF_SECURITY_ADMIN_PASSWORD__FILE (admin/admin),
    /// GF_PATHS_PROVISIONING (/etc/grafana/provisioning), plus STANDIN_SERVICE_ACCOUNT_TOKEN and
    /// STANDIN_SORT_DASHBOARD_KEYS=1.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws(StandInError) -> StandInConfiguration {
        var config = StandInConfiguration(host: "0.0.0.0", port: 3000, provisioningPath: "/etc/grafana/provisioning", environment: env)
        if let host = env["GF_SERVER_HTTP_ADDR"], !host.isEmpty { config.host = host }
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

    public var description: String {
        switch self {
        case .configuration(let message): "grafana-standin: \(message)"
        case .provisioning(let file, let reason): "grafana-standin: provisioning file \(file): \(reason)"
        case .server(let message): "grafana-standin: \(message)"
        }
    }
}
