import Foundation
import HTTPTransport

extension DockerEngine {
    /// Where the engine is, worked out from `--host` / `DOCKER_HOST` and the TLS variables the way
    /// the docker CLI reads them:
    ///
    /// - nothing set: `unix:///var/run/docker.sock`;
    /// - `unix:///path/to/docker.sock`;
    /// - `tcp://host[:port][/base]` with `DOCKER_TLS_VERIFY` set to anything non-empty: TLS with
    ///   peer verification and the client certificate `ca.pem`, `cert.pem`, `key.pem` from
    ///   `DOCKER_CERT_PATH` (default `~/.docker`); port 2376 when omitted;
    /// - `tcp://…` with `DOCKER_TLS` non-empty (and no `DOCKER_TLS_VERIFY`): TLS without
    ///   verifying the engine's certificate, as `docker --tls`.
    ///
    /// One deliberate difference from the docker CLI: a `tcp://` host with neither variable set is
    /// refused instead of silently spoken to in plain HTTP (the Docker socket is root-equivalent).
    /// Plain TCP is used only when the user opts out explicitly with
    /// `STACKPILOT_ALLOW_PLAIN_TCP=1`; the port then defaults to 2375.
    public struct Host: Sendable, Hashable, CustomStringConvertible {
        public static let defaultSocket = "/var/run/docker.sock"

        public var endpoint: HTTPEndpoint
        /// The host as the user gave it (or the default), for messages.
        public var original: String

        public var description: String { endpoint.description }

        /// `unix:///var/run/docker.sock`.
        public static let `default` = Host(endpoint: HTTPEndpoint(address: .unixSocket(path: defaultSocket)), original: "unix://\(defaultSocket)")

        public init(endpoint: HTTPEndpoint, original: String? = nil) {
            self.endpoint = endpoint
            self.original = original ?? endpoint.description
        }

        /// Resolves the engine address from an explicit `--host` value (wins) or the environment.
        /// `fileExists` is injectable for tests; by default it checks the file system.
        public static func resolve(
            host explicit: String? = nil,
            environment: [String: String] = ProcessInfo.processInfo.environment,
            fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
        ) throws(DockerEngine.Error) -> Host {
            let raw: String
            if let explicit, !explicit.isEmpty {
                raw = explicit
            } else if let fromEnvironment = environment["DOCKER_HOST"], !fromEnvironment.isEmpty {
                raw = fromEnvironment
            } else {
                return .default
            }
            return try parse(raw, environment: environment, fileExists: fileExists)
        }

        static func parse(
            _ raw: String,
            environment: [String: String],
            fileExists: (String) -> Bool
        ) throws(DockerEngine.Error) -> Host {
            let value = raw.trimmingCharacters(in: .whitespaces)
            guard let schemeEnd = value.range(of: "://") else {
                throw .invalidHost(raw, reason: "it has no scheme; use unix:///path/to/docker.sock or tcp://host:port")
            }
            let scheme = value[..<schemeEnd.lowerBound].lowercased()
            let rest = String(value[schemeEnd.upperBound...])
            switch scheme {
            case "unix":
                guard rest.hasPrefix("/") else {
                    throw .invalidHost(raw, reason: "a unix socket needs an absolute path, e.g. unix:///var/run/docker.sock")
                }
                return Host(endpoint: HTTPEndpoint(address: .unixSocket(path: rest)), original: raw)
            case "tcp":
                return try parseTCP(raw, rest: rest, environment: environment, fileExists: fileExists)
            case "ssh":
                throw .invalidHost(
                    raw,
                    reason:
                        "ssh:// engines are not supported; forward the remote socket (ssh -L /tmp/docker.sock:/var/run/docker.sock host) and use unix:///tmp/docker.sock"
                )
            case "npipe", "fd":
                throw .invalidHost(raw, reason: "\(scheme):// engines are not supported on this platform; use unix:// or tcp://")
            case "http", "https":
                throw .invalidHost(raw, reason: "use tcp://host:port (as for the docker CLI); TLS is chosen with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH")
            default:
                throw .invalidHost(raw, reason: "unknown scheme \"\(scheme)\"; use unix:// or tcp://")
            }
        }

        private static func parseTCP(
            _ raw: String,
            rest: String,
            environment: [String: String],
            fileExists: (String) -> Bool
        ) throws(DockerEngine.Error) -> Host {
            // Split authority and optional base path.
            let authority: Substring
            let basePath: Substring
            if let slash = rest.firstIndex(of: "/") {
                authority = rest[..<slash]
                basePath = rest[slash...]
            } else {
                authority = rest[...]
                basePath = ""
            }
            guard !authority.isEmpty else {
                throw .invalidHost(raw, reason: "no host name; use tcp://host:port")
            }
            // host, [v6]:port or host:port
            var hostName: Substring
            var port: Substring?
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else {
                    throw .invalidHost(raw, reason: "unclosed '[' in an IPv6 address")
                }
                hostName = authority[authority.startIndex...close]
                let after = authority[authority.index(after: close)...]
                if after.hasPrefix(":") {
                    port = after.dropFirst()
                } else if !after.isEmpty {
                    throw .invalidHost(raw, reason: "unexpected text after the IPv6 address")
                }
            } else if let colon = authority.lastIndex(of: ":") {
                hostName = authority[..<colon]
                port = authority[authority.index(after: colon)...]
            } else {
                hostName = authority
            }
            if hostName.isEmpty { hostName = "localhost" }
            if let port {
                guard let number = Int(port), (1...65535).contains(number) else {
                    throw .invalidHost(raw, reason: "\"\(port)\" is not a port number (1-65535)")
                }
            }

            let verify = !(environment["DOCKER_TLS_VERIFY"] ?? "").isEmpty
            let tlsWithoutVerify = !(environment["DOCKER_TLS"] ?? "").isEmpty
            let allowPlain = ["1", "true", "yes"].contains((environment["STACKPILOT_ALLOW_PLAIN_TCP"] ?? "").lowercased())

            if verify || tlsWithoutVerify {
                let certDirectory =
                    environment["DOCKER_CERT_PATH"].flatMap { $0.isEmpty ? nil : $0 }
                    ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.docker")
                let files = ["ca.pem", "cert.pem", "key.pem"].map { certDirectory + "/" + $0 }
                var tls = HTTPEndpoint.TLS(verifyPeer: verify)
                if verify {
                    for file in files where !fileExists(file) {
                        throw .invalidHost(
                            raw,
                            reason:
                                "DOCKER_TLS_VERIFY is set but \(file) does not exist; put ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH (now \(certDirectory))"
                        )
                    }
                    tls.caFile = files[0]
                    tls.certificateFile = files[1]
                    tls.keyFile = files[2]
                } else {
                    // `docker --tls`: use the client certificate when present, do not verify the engine.
                    if fileExists(files[1]) && fileExists(files[2]) {
                        tls.certificateFile = files[1]
                        tls.keyFile = files[2]
                    }
                }
                let url = "https://\(hostName):\(port ?? "2376")\(basePath)"
                return Host(endpoint: HTTPEndpoint(address: .url(url), tls: tls), original: raw)
            }
            guard allowPlain else {
                throw .invalidHost(
                    raw,
                    reason:
                        "refusing plain TCP to a Docker engine (anyone on the path could control it); set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (a folder with ca.pem, cert.pem, key.pem), or opt out explicitly with STACKPILOT_ALLOW_PLAIN_TCP=1"
                )
            }
            let url = "http://\(hostName):\(port ?? "2375")\(basePath)"
            return Host(endpoint: HTTPEndpoint(address: .url(url)), original: raw)
        }
    }
}
