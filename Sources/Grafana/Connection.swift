import Foundation

extension Grafana {
    /// How to authenticate. `description` never contains the secret.
    public enum Credentials: Sendable, Equatable, CustomStringConvertible {
        case none
        case basic(user: String, password: String)
        /// A service-account token, sent as `Authorization: Bearer`.
        case bearer(token: String)

        public var description: String {
            switch self {
            case .none: "no credentials"
            case .basic(let user, _): "user \"\(user)\" with a password"
            case .bearer: "a bearer token"
            }
        }

        /// The `Authorization` header value, if any.
        var authorizationHeader: String? {
            switch self {
            case .none: nil
            case .basic(let user, let password): "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
            case .bearer(let token): "Bearer " + token
            }
        }
    }

    /// Where Grafana answers and how to log in.
    public struct Connection: Sendable, Equatable, CustomStringConvertible {
        /// Base URL without a trailing slash, e.g. `http://127.0.0.1:3000` or `https://host/grafana`.
        public var url: String
        public var credentials: Credentials

        public init(url: String, credentials: Credentials) throws(ProvisionError) {
            var url = url.trimmingCharacters(in: .whitespaces)
            while url.hasSuffix("/") { url.removeLast() }
            guard let components = URLComponents(string: url),
                let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let host = components.host, !host.isEmpty
            else {
                throw .invalidConfiguration("Grafana URL \"\(url)\" is not an http:// or https:// URL (set GRAFANA_URL, e.g. http://127.0.0.1:3000).")
            }
            guard components.user == nil, components.password == nil else {
                throw .invalidConfiguration("Grafana URL must not carry credentials; use GRAFANA_USER/GRAFANA_PASSWORD or GRAFANA_TOKEN instead.")
            }
            self.url = url
            self.credentials = credentials
        }

        /// The URL and how we log in; never the secret.
        public var description: String { "\(url) (\(credentials))" }

        /// Names of the environment variables to read; the manifest may rename them.
        public struct EnvironmentNames: Sendable, Equatable {
            public var url: String
            public var user: String
            public var password: String
            public var token: String

            public init(url: String = "GRAFANA_URL", user: String = "GRAFANA_USER", password: String = "GRAFANA_PASSWORD", token: String = "GRAFANA_TOKEN") {
                self.url = url
                self.user = user
                self.password = password
                self.token = token
            }
        }

        public static let defaultURL = "http://127.0.0.1:3000"

        /// Reads the connection from the environment: `GRAFANA_URL` (default `http://127.0.0.1:3000`);
        /// `GRAFANA_TOKEN` / `GRAFANA_TOKEN_FILE` (Bearer) wins over `GRAFANA_USER` / `GRAFANA_PASSWORD`
        /// (and their `_FILE` variants), which default to admin/admin as the monitoring guide says.
        public static func fromEnvironment(
            _ environment: [String: String] = ProcessInfo.processInfo.environment,
            names: EnvironmentNames = EnvironmentNames(),
            defaultURL: String = Connection.defaultURL
        ) throws(ProvisionError) -> Connection {
            let url = try value(names.url, environment) ?? defaultURL
            if let token = try value(names.token, environment), !token.isEmpty {
                return try Connection(url: url, credentials: .bearer(token: token))
            }
            let user = try value(names.user, environment) ?? "admin"
            let password = try value(names.password, environment) ?? "admin"
            return try Connection(url: url, credentials: .basic(user: user, password: password))
        }

        /// `NAME` if set, else the contents of the file named by `NAME_FILE` (one trailing newline dropped).
        static func value(_ name: String, _ environment: [String: String]) throws(ProvisionError) -> String? {
            if let direct = environment[name] { return direct }
            guard let path = environment[name + "_FILE"], !path.isEmpty else { return nil }
            guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
                throw .invalidConfiguration("\(name)_FILE names \(path), which cannot be read as a UTF-8 file.")
            }
            if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
            return text
        }
    }
}
