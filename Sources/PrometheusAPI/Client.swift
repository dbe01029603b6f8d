import Foundation
import HTTPTransport
import Logging

/// Namespace for the Prometheus HTTP API client and its models.
public enum PrometheusAPI {}

extension PrometheusAPI {
    /// Everything a Prometheus API call can fail with. Transport, HTTP status and decoding stay apart:
    /// a non-2xx answer is always `.http`, never `.decoding`.
    public enum Error: Swift.Error, Sendable, CustomStringConvertible {
        /// The request never got an HTTP answer (connection refused, timeout, DNS, TLS ...).
        case transport(endpoint: String, path: String, underlying: any Swift.Error)
        /// Prometheus answered with a non-2xx status. `errorType` is Prometheus' own
        /// (`bad_data`, `timeout`, `execution`, `unavailable`, ...) when the body was an API error body.
        case http(status: Int, errorType: String?, message: String, path: String)
        /// A 2xx answer whose body was not what the endpoint documents.
        case decoding(String, path: String, body: String)
        /// A 2xx answer with `"status":"error"` in the body (Prometheus does not send this, but proxies may).
        case api(errorType: String?, message: String, path: String)

        public var description: String {
            switch self {
            case .transport(let endpoint, let path, let underlying):
                "cannot reach Prometheus at \(endpoint) (\(path)): \(underlying)"
            case .http(let status, let errorType, let message, let path):
                "Prometheus answered \(status) for \(path)" + (errorType.map { " (\($0))" } ?? "") + (message.isEmpty ? "" : ": \(message)")
            case .decoding(let what, let path, let body):
                "unexpected answer from Prometheus for \(path): \(what); body starts: \(body.prefix(200))"
            case .api(let errorType, let message, let path):
                "Prometheus reported an error for \(path)" + (errorType.map { " (\($0))" } ?? "") + ": \(message)"
            }
        }
    }

    /// Client for the Prometheus HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/).
    ///
    /// The transport's endpoint is Prometheus' base URL, e.g. `http://127.0.0.1:9090` (or with a
    /// path prefix when Prometheus runs with `--web.route-prefix`).
    public struct Client: Sendable {
        public let transport: any HTTPTransport
        public let endpoint: String
        public let logger: Logger
        /// Limit per request; Prometheus queries are usually quick, but a busy server may not be.
        public var timeout: Duration

        public init(transport: any HTTPTransport, endpoint: String, logger: Logger, timeout: Duration = .seconds(10)) {
            self.transport = transport
            self.endpoint = endpoint
            self.logger = logger
            self.timeout = timeout
        }

        /// Sends a request and returns the raw answer; only transport failures throw here.
        func send(
            _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], form: [(String, String)]? = nil
        ) async throws(PrometheusAPI.Error) -> HTTPResponse {
            let fullPath = query.isEmpty ? path : path + "?" + Self.encode(query)
            var request = HTTPRequest(method: method, path: fullPath, headers: [("Accept", "application/json")], timeout: timeout)
            if let form {
                request.headers.append(("Content-Type", "application/x-www-form-urlencoded"))
                request.body = Data(Self.encode(form).utf8)
            }
            logger.debug("prometheus request", metadata: ["method": "\(method.rawValue)", "path": "\(fullPath)"])
            do {
                return try await transport.send(request)
            } catch {
                throw .transport(endpoint: endpoint, path: path, underlying: error)
            }
        }

        /// GETs an API endpoint, checks status, and decodes `data` of the `{"status":"success","data":...}` envelope.
        func get<T: Decodable>(_ path: String, query: [(String, String)] = [], as type: T.Type) async throws(PrometheusAPI.Error) -> T {
            let response = try await send(.get, path, query: query)
            return try Self.decodeEnvelope(response, path: path, as: type)
        }

        /// POSTs a form to an API endpoint (how long queries avoid URL length limits).
        func postForm<T: Decodable>(_ path: String, form: [(String, String)], as type: T.Type) async throws(PrometheusAPI.Error) -> T {
            let response = try await send(.post, path, form: form)
            return try Self.decodeEnvelope(response, path: path, as: type)
        }

        static func decodeEnvelope<T: Decodable>(_ response: HTTPResponse, path: String, as type: T.Type) throws(PrometheusAPI.Error) -> T {
            let envelope = try? JSONDecoder().decode(Envelope<T>.self, from: response.body)
            guard response.isSuccess else {
                if let envelope, envelope.status == "error" {
                    throw .http(status: response.status, errorType: envelope.errorType, message: envelope.error ?? "", path: path)
                }
                let text = String(decoding: response.body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                throw .http(status: response.status, errorType: nil, message: text, path: path)
            }
            do {
                let envelope = try JSONDecoder().decode(Envelope<T>.self, from: response.body)
                guard envelope.status == "success" else {
                    throw PrometheusAPI.Error.api(errorType: envelope.errorType, message: envelope.error ?? "", path: path)
                }
                guard let data = envelope.data else {
                    throw PrometheusAPI.Error.decoding("no \"data\" in a success answer", path: path, body: String(decoding: response.body, as: UTF8.self))
                }
                return data
            } catch let error as PrometheusAPI.Error {
                throw error
            } catch {
                throw .decoding("\(error)", path: path, body: String(decoding: response.body.prefix(2000), as: UTF8.self))
            }
        }

        static func encode(_ pairs: [(String, String)]) -> String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return pairs.map { name, value in
                let n = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
                let v = value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
                return "\(n)=\(v)"
            }.joined(separator: "&")
        }
    }

    struct Envelope<T: Decodable>: Decodable {
        var status: String
        var data: T?
        var errorType: String?
        var error: String?
        var warnings: [String]?
    }
}
