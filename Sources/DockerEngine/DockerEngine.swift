import Foundation
import HTTPTransport

/// A client for the Docker Engine API, spoken over its unix socket or TCP/TLS through an
/// `HTTPTransport`. See `README.md` in this folder for usage, endpoints and the error model.
public enum DockerEngine {}

extension DockerEngine {
    /// An Engine API version such as `1.41`.
    public struct APIVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
        public var major: Int
        public var minor: Int

        public init(_ major: Int, _ minor: Int) {
            self.major = major
            self.minor = minor
        }

        /// Parses `"1.41"`; `nil` for anything else.
        public init?(_ string: String) {
            let parts = string.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0 else {
                return nil
            }
            self.init(major, minor)
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let string = try container.decode(String.self)
            guard let version = APIVersion(string) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an API version: \(string)")
            }
            self = version
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }

        public var description: String { "\(major).\(minor)" }

        public static func < (lhs: APIVersion, rhs: APIVersion) -> Bool {
            (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
        }

        /// The oldest API this client speaks: Engine 20.10 (Debian 12's docker.io).
        public static let minimumSupported = APIVersion(1, 41)
        /// The newest API documented in moby's `api/swagger.yaml` when this client was written.
        public static let maximumSupported = APIVersion(1, 56)
        public static let supported = minimumSupported...maximumSupported

        /// Picks the version to speak with an engine whose newest API is `engine` (the `API-Version`
        /// header of `/_ping`): the engine's own when it is in range, ours when the engine is newer
        /// (engines serve older versions down to their minimum), an error when the engine is older
        /// than we support.
        public static func negotiate(engine: APIVersion) throws(DockerEngine.Error) -> APIVersion {
            if engine < minimumSupported {
                throw .unsupportedAPIVersion(engine: engine, supported: supported)
            }
            return min(engine, maximumSupported)
        }
    }
}

extension DockerEngine {
    /// Every failure of the client. A non-2xx answer is always `.http`, never a decoding error.
    public enum Error: Swift.Error, Sendable, CustomStringConvertible {
        /// The request did not complete: the socket is missing, the connection was refused or
        /// dropped, a timeout passed. `endpoint` names the engine (`unix:///var/run/docker.sock`).
        case transport(endpoint: String, underlying: any Swift.Error)
        /// The engine answered with a non-2xx status; `message` is the engine's JSON `message`
        /// (or the body text when it sent no JSON).
        case http(status: Int, message: String)
        /// A 2xx answer whose body does not have the documented shape.
        case decoding(String, body: String)
        /// The engine's API version is outside what this client speaks (`engine` is the newest it offers).
        case unsupportedAPIVersion(engine: APIVersion, supported: ClosedRange<APIVersion>)
        /// An `errorDetail` inside a 200 progress stream (pull, build), or a malformed stream.
        case stream(message: String)
        /// `--host` / `DOCKER_HOST` / TLS settings cannot be used; `reason` says why and what to do.
        case invalidHost(String, reason: String)

        public var isNotFound: Bool { if case .http(404, _) = self { true } else { false } }
        public var isConflict: Bool { if case .http(409, _) = self { true } else { false } }
        public var isNotModified: Bool { if case .http(304, _) = self { true } else { false } }
        /// True when the engine could not be reached at all (as opposed to answering with an error).
        public var isTransport: Bool { if case .transport = self { true } else { false } }
        /// True when nothing accepted the connection: no engine runs at that socket or port.
        public var isEngineUnreachable: Bool {
            if case .transport(_, let underlying) = self, let curl = underlying as? CurlError { return curl.isConnectionRefused }
            return false
        }
        /// The HTTP status for `.http`, otherwise `nil`.
        public var status: Int? { if case .http(let status, _) = self { status } else { nil } }

        public var description: String {
            switch self {
            case .transport(let endpoint, let underlying):
                let isUnix = endpoint.hasPrefix("unix://")
                let startHint =
                    isUnix
                    ? "start one with `sudo dockerd` (or `scripts/setup` in the StackPilot repository), or point --host/DOCKER_HOST at a running engine"
                    : "check that the engine listens there and that --host/DOCKER_HOST and the TLS settings (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) are right"
                if let curl = underlying as? CurlError {
                    switch curl.kind {
                    case .couldNotConnect:
                        guard isUnix else { return "no Docker engine answers at \(endpoint) (\(curl.message)); \(startHint)" }
                        let path = String(endpoint.dropFirst("unix://".count))
                        if !FileManager.default.fileExists(atPath: path) {
                            return "no Docker engine answers on \(path): the socket does not exist; \(startHint)"
                        }
                        if !FileManager.default.isWritableFile(atPath: path) {
                            return "cannot use the Docker socket \(path): permission denied; run as root or as a member of the socket's group (usually docker)"
                        }
                        return "no Docker engine answers on \(path): connection refused; \(startHint)"
                    case .couldNotResolveHost:
                        return "cannot resolve the Docker host \(endpoint) (\(curl.message)); check --host/DOCKER_HOST"
                    case .timedOut:
                        return "the Docker engine at \(endpoint) did not answer in time (\(curl.request): \(curl.message))"
                    case .tls:
                        return
                            "TLS with the Docker engine at \(endpoint) failed (\(curl.message)); check DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) and DOCKER_TLS_VERIFY"
                    case .connectionLost:
                        return "the connection to the Docker engine at \(endpoint) broke (\(curl.request): \(curl.message))"
                    case .responseTooLarge:
                        return "the Docker engine at \(endpoint) sent too large an answer to \(curl.request) (\(curl.message))"
                    case .requestBody:
                        return "could not send the body of \(curl.request) to the Docker engine at \(endpoint): \(curl.message)"
                    case .setup, .other:
                        return "cannot talk to the Docker engine at \(endpoint) (\(curl.message)); \(startHint)"
                    }
                }
                return "cannot talk to the Docker engine at \(endpoint) (\(underlying)); \(startHint)"
            case .http(let status, let message):
                return "the Docker engine answered \(status): \(message)"
            case .decoding(let what, let body):
                let excerpt = body.count > 300 ? String(body.prefix(300)) + "…" : body
                return "unexpected answer from the Docker engine: \(what); body: \(excerpt)"
            case .unsupportedAPIVersion(let engine, let supported):
                return
                    "the Docker engine speaks API \(engine) at most, but stackpilot needs \(supported.lowerBound) to \(supported.upperBound) (Docker Engine 20.10 or newer); upgrade the engine"
            case .stream(let message):
                return "the Docker engine reported an error: \(message)"
            case .invalidHost(let host, let reason):
                return "cannot use Docker host \"\(host)\": \(reason)"
            }
        }
    }
}

extension DockerEngine.Error: LocalizedError {
    public var errorDescription: String? { description }
}
