import Foundation
import HTTPTransport
import Logging

extension Grafana {
    /// A Grafana HTTP API client over any `HTTPTransport` whose endpoint is Grafana's base URL.
    ///
    /// Endpoints are grouped by resource in `Endpoints/Client+*.swift`; each says which API call it
    /// maps to. Every request carries `User-Agent: stackpilot/0.1.0` and the configured credentials.
    public struct Client: Sendable {
        public let transport: any HTTPTransport
        /// Used in messages; never contains credentials.
        public let url: String
        public let credentials: Credentials
        public let logger: Logger
        /// Per-request limit.
        public var requestTimeout: Duration

        public init(transport: any HTTPTransport, connection: Connection, logger: Logger, requestTimeout: Duration = .seconds(30)) {
            self.transport = transport
            self.url = connection.url
            self.credentials = connection.credentials
            self.logger = logger
            self.requestTimeout = requestTimeout
        }

        // MARK: - Generic helpers

        /// Sends a request; a 2xx answer is returned, anything else throws `.http`, no answer `.transport`.
        @discardableResult
        func send(
            _ method: HTTPMethod, _ path: String, json body: Data? = nil, headers extra: [(name: String, value: String)] = [], authenticated: Bool = true
        ) async throws(ClientError) -> HTTPResponse {
            var headers: [(name: String, value: String)] = [("User-Agent", Grafana.userAgent), ("Accept", "application/json")]
            if body != nil { headers.append(("Content-Type", "application/json")) }
            if authenticated, let authorization = credentials.authorizationHeader {
                headers.append(("Authorization", authorization))
            }
            headers.append(contentsOf: extra)
            let request = HTTPRequest(method: method, path: path, headers: headers, body: body, timeout: requestTimeout)
            logger.debug("grafana request", metadata: ["method": "\(method.rawValue)", "path": "\(path)"])
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch {
                throw .transport(url: url, underlying: String(describing: error))
            }
            guard response.isSuccess else {
                let (message, status) = Self.errorFields(response.body)
                throw .http(method: method.rawValue, path: path, status: response.status, message: message, grafanaStatus: status)
            }
            return response
        }

        func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws(ClientError) -> T {
            try decode(T.self, from: try await send(.get, path), path: path)
        }

        /// GET that maps 404 to `nil`.
        func getIfExists<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws(ClientError) -> T? {
            do {
                return try await get(path, as: T.self)
            } catch .http(_, _, 404, _, _) {
                return nil
            }
        }

        /// GET returning the raw body, 404 as `nil`.
        func getRaw(_ path: String) async throws(ClientError) -> Data? {
            do {
                return try await send(.get, path).body
            } catch .http(_, _, 404, _, _) {
                return nil
            }
        }

        func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, path: String) throws(ClientError) -> T {
            do {
                return try JSONDecoder().decode(T.self, from: response.body)
            } catch {
                throw .decoding(path: path, reason: String(describing: error), body: String(decoding: response.body.prefix(512), as: UTF8.self))
            }
        }

        func encode<T: Encodable>(_ value: T) -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            // Encoding our own plain models cannot fail.
            return (try? encoder.encode(value)) ?? Data("{}".utf8)
        }

        /// Grafana's error answers are `{"message": "...", "status": "..."}` (status only for some 412s).
        static func errorFields(_ body: Data) -> (message: String, status: String?) {
            struct ErrorBody: Decodable { var message: String?; var status: String? }
            if let decoded = try? JSONDecoder().decode(ErrorBody.self, from: body), let message = decoded.message {
                return (message, decoded.status)
            }
            let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return (text.isEmpty ? "(no message)" : text, nil)
        }

        /// Percent-encodes one path segment or query value.
        static func escape(_ value: String) -> String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
        }
    }
}
