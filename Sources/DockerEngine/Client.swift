import Foundation
import HTTPTransport
import Logging
import Synchronization

extension DockerEngine {
    /// The Engine API client. Cheap to copy; copies share the negotiated API version.
    ///
    /// The first request asks `/_ping` for the engine's newest API version and negotiates (see
    /// `APIVersion.negotiate`); every request then goes to `/v<negotiated>/…`. Requests that start
    /// together on a fresh client share that one ping (see `apiVersion()`).
    public struct Client: Sendable {
        public let endpoint: HTTPEndpoint
        let transport: any HTTPTransport
        let logger: Logger
        private let negotiation: Negotiation
        /// How many calls wait for the version ping in flight (tests use it to start a ping's answer
        /// only once every caller waits for it).
        var callersWaitingForPing: Int { negotiation.waiting }

        /// - Parameters:
        ///   - apiVersion: pins the version instead of negotiating (as `DOCKER_API_VERSION` does for
        ///     the docker CLI); it must be in `APIVersion.supported`.
        public init(endpoint: HTTPEndpoint, transport: any HTTPTransport, apiVersion: APIVersion? = nil, logger: Logger = Logger(label: "stackpilot.docker")) {
            self.endpoint = endpoint
            self.transport = transport
            self.logger = logger
            self.negotiation = Negotiation(pinned: apiVersion)
        }

        /// A client on libcurl for the engine at `host` (see `Host.resolve`).
        /// - Parameter connectTimeout: how long to wait for the socket or port to accept.
        public init(
            host: Host = .default, apiVersion: APIVersion? = nil, connectTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "stackpilot.docker")
        ) throws(DockerEngine.Error) {
            let transport: CurlTransport
            do {
                transport = try CurlTransport(endpoint: host.endpoint, options: .init(connectTimeout: connectTimeout), logger: logger)
            } catch {
                throw .transport(endpoint: host.endpoint.description, underlying: error)
            }
            self.init(endpoint: host.endpoint, transport: transport, apiVersion: apiVersion, logger: logger)
        }

        /// The API version in use, negotiating it on first use.
        ///
        /// Single-flight: however many requests start together on a fresh client (or on its copies),
        /// one `/_ping` is in flight and they all wait for its answer. A failed ping is not kept: its
        /// error goes to everyone waiting for it, and the next call pings again. A pinned version
        /// never pings. A caller cancelled while waiting stops waiting at once (with
        /// `.transport(…, CancellationError)`, as a cancelled request); the ping itself is cancelled
        /// only when nobody waits for it any more.
        public func apiVersion() async throws(DockerEngine.Error) -> APIVersion {
            if let known = negotiation.known { return known }
            let waiter = negotiation.makeID()
            let cancelled = DockerEngine.Error.transport(endpoint: endpoint.description, underlying: CancellationError())
            let outcome = await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    negotiation.join(waiter, continuation, ifCancelled: cancelled) { generation in
                        Task { [self] in negotiation.finish(generation, await negotiate()) }
                    }
                }
            } onCancel: {
                negotiation.leave(waiter, with: cancelled)
            }
            return try outcome.get()
        }

        /// One ping and the choice of version; `apiVersion()` runs one at a time.
        private func negotiate() async -> Result<APIVersion, DockerEngine.Error> {
            do throws(DockerEngine.Error) {
                let ping = try await ping()
                guard let engineVersion = ping.apiVersion else {
                    throw .decoding("/_ping answered without an API-Version header", body: "")
                }
                let chosen = try APIVersion.negotiate(engine: engineVersion)
                logger.debug("negotiated Docker API version", metadata: ["engine": "\(engineVersion)", "using": "\(chosen)"])
                return .success(chosen)
            } catch {
                return .failure(error)
            }
        }

        // MARK: - Request helpers (internal)

        typealias Query = [(String, String?)]

        /// `/v<version><path>?<query>`; nil query values are left out.
        func versionedPath(_ path: String, query: Query = []) async throws(DockerEngine.Error) -> String {
            let version = try await apiVersion()
            return "/v\(version)\(path)\(Self.encode(query))"
        }

        static func encode(_ query: Query) -> String {
            let items = query.compactMap { name, value in value.map { (name, $0) } }
            guard !items.isEmpty else { return "" }
            return "?" + items.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
        }

        static func escape(_ component: String) -> String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
        }

        /// Encodes a value as JSON for a query parameter (filters, buildargs, labels).
        static func jsonQueryValue(_ value: some Encodable) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        }

        static let encoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return encoder
        }()

        /// Sends a request and returns the answer when it is 2xx; otherwise throws `.http`.
        func send(
            _ method: HTTPMethod,
            _ path: String,
            query: Query = [],
            body: Data? = nil,
            contentType: String? = nil,
            headers: [(name: String, value: String)] = [],
            timeout: Duration? = nil
        ) async throws(DockerEngine.Error) -> HTTPResponse {
            let fullPath = try await versionedPath(path, query: query)
            return try await sendRaw(method, fullPath, body: body, contentType: contentType, headers: headers, timeout: timeout)
        }

        /// As `send`, on a path that already carries its version (or none, as `/_ping`).
        func sendRaw(
            _ method: HTTPMethod,
            _ fullPath: String,
            body: Data? = nil,
            contentType: String? = nil,
            headers: [(name: String, value: String)] = [],
            timeout: Duration? = nil
        ) async throws(DockerEngine.Error) -> HTTPResponse {
            let request = makeRequest(method, fullPath, body: body, contentType: contentType, headers: headers, timeout: timeout)
            logger.trace("docker request", metadata: ["method": "\(method.rawValue)", "path": "\(fullPath)"])
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch {
                throw wrapTransport(error)
            }
            guard response.isSuccess || response.status == 304 else {
                throw Self.httpError(status: response.status, body: response.body)
            }
            return response
        }

        /// Opens a streamed answer; a non-2xx answer is collected and thrown as `.http`.
        func openStream(
            _ method: HTTPMethod,
            _ path: String,
            query: Query = [],
            body: Data? = nil,
            bodyStream: HTTPBodyStream? = nil,
            contentType: String? = nil,
            headers: [(name: String, value: String)] = [],
            timeout: Duration? = nil
        ) async throws(DockerEngine.Error) -> HTTPStreamingResponse {
            let fullPath = try await versionedPath(path, query: query)
            var request = makeRequest(method, fullPath, body: body, contentType: contentType, headers: headers, timeout: timeout)
            request.bodyStream = bodyStream
            logger.trace("docker stream", metadata: ["method": "\(method.rawValue)", "path": "\(fullPath)"])
            let response: HTTPStreamingResponse
            do {
                response = try await transport.stream(request)
            } catch {
                throw wrapTransport(error)
            }
            guard (200..<300).contains(response.status) else {
                let data: Data
                do { data = try await response.collect(upTo: 1 << 20) } catch { throw wrapTransport(error) }
                throw Self.httpError(status: response.status, body: data)
            }
            return response
        }

        func get<T: Decodable>(_ path: String, query: Query = [], as type: T.Type = T.self) async throws(DockerEngine.Error) -> T {
            let response = try await send(.get, path, query: query)
            return try Self.decode(T.self, from: response.body, what: "GET \(path)")
        }

        func post<T: Decodable>(
            _ path: String, query: Query = [], json body: (some Encodable)? = nil as Empty?, as type: T.Type = T.self, timeout: Duration? = nil
        ) async throws(DockerEngine.Error) -> T {
            let response = try await send(
                .post, path, query: query, body: try Self.encodeBody(body), contentType: body == nil ? nil : "application/json", timeout: timeout)
            return try Self.decode(T.self, from: response.body, what: "POST \(path)")
        }

        /// POST whose answer body carries nothing we need (204, or 304 for "already started").
        @discardableResult
        func post(
            _ path: String, query: Query = [], json body: (some Encodable)? = nil as Empty?, timeout: Duration? = nil
        ) async throws(DockerEngine.Error) -> HTTPResponse {
            try await send(.post, path, query: query, body: try Self.encodeBody(body), contentType: body == nil ? nil : "application/json", timeout: timeout)
        }

        func delete(_ path: String, query: Query = []) async throws(DockerEngine.Error) {
            _ = try await send(.delete, path, query: query)
        }

        func delete<T: Decodable>(_ path: String, query: Query = [], as type: T.Type) async throws(DockerEngine.Error) -> T {
            let response = try await send(.delete, path, query: query)
            return try Self.decode(T.self, from: response.body, what: "DELETE \(path)")
        }

        private func makeRequest(
            _ method: HTTPMethod, _ fullPath: String, body: Data?, contentType: String?, headers: [(name: String, value: String)], timeout: Duration?
        ) -> HTTPRequest {
            var allHeaders = headers
            if let contentType { allHeaders.append((name: "Content-Type", value: contentType)) }
            return HTTPRequest(method: method, path: fullPath, headers: allHeaders, body: body, timeout: timeout)
        }

        func wrapTransport(_ error: any Swift.Error) -> DockerEngine.Error {
            if let known = error as? DockerEngine.Error { return known }
            return .transport(endpoint: endpoint.description, underlying: error)
        }

        static func encodeBody(_ body: (some Encodable)?) throws(DockerEngine.Error) -> Data? {
            guard let body else { return nil }
            do {
                return try encoder.encode(body)
            } catch {
                throw .decoding("cannot encode the request body: \(error)", body: "")
            }
        }

        static func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws(DockerEngine.Error) -> T {
            do {
                return try JSONDecoder().decode(T.self, from: data)
            } catch {
                throw .decoding("\(what): \(describe(error))", body: String(decoding: data.prefix(4096), as: UTF8.self))
            }
        }

        /// Maps a non-2xx answer to `.http`, with the engine's `{"message": …}` when present.
        static func httpError(status: Int, body: Data) -> DockerEngine.Error {
            struct Message: Decodable { var message: String }
            if let message = try? JSONDecoder().decode(Message.self, from: body) {
                return .http(status: status, message: message.message)
            }
            let text = String(decoding: body.prefix(2048), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return .http(status: status, message: text.isEmpty ? "no message (HTTP \(status))" : text)
        }

        static func describe(_ error: any Swift.Error) -> String {
            guard let decodingError = error as? DecodingError else { return "\(error)" }
            func path(_ context: DecodingError.Context) -> String {
                context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            }
            switch decodingError {
            case .typeMismatch(let type, let context): return "\(path(context)): expected \(type); \(context.debugDescription)"
            case .valueNotFound(let type, let context): return "\(path(context)): missing \(type)"
            case .keyNotFound(let key, let context): return "\(path(context)): missing key \(key.stringValue)"
            case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
            @unknown default: return "\(error)"
            }
        }
    }

    /// The negotiated version, shared by copies of a client, and the one ping in flight while it is
    /// not known yet with the callers waiting for it.
    final class Negotiation: Sendable {
        typealias Outcome = Result<APIVersion, DockerEngine.Error>
        typealias Waiter = CheckedContinuation<Outcome, Never>

        enum State {
            case unknown
            /// `generation` tells this ping's answer from one that was abandoned (all its waiters
            /// cancelled) before a new ping started.
            case negotiating(generation: UInt64, ping: Task<Void, Never>, waiters: [UInt64: Waiter])
            case known(APIVersion)
        }

        private let state: Mutex<State>
        private let ids = Atomic<UInt64>(0)

        init(pinned: APIVersion?) {
            state = Mutex(pinned.map(State.known) ?? .unknown)
        }

        var known: APIVersion? {
            state.withLock { if case .known(let version) = $0 { version } else { nil } }
        }

        /// How many callers wait for the ping in flight (for tests).
        var waiting: Int {
            state.withLock { if case .negotiating(_, _, let waiters) = $0 { waiters.count } else { 0 } }
        }

        func makeID() -> UInt64 { ids.add(1, ordering: .relaxed).newValue }

        /// Waits for the ping in flight, or starts it (`startPing`) when none is; answers at once
        /// when the version is known, or when the caller is already cancelled.
        func join(_ waiter: UInt64, _ continuation: Waiter, ifCancelled cancelled: DockerEngine.Error, startPing: (UInt64) -> Task<Void, Never>) {
            let immediate: Outcome? = state.withLock { state in
                switch state {
                case .known(let version):
                    return .success(version)
                case _ where Task.isCancelled:
                    // Checked under the lock: a cancellation handler that ran before this found no
                    // waiter to resume, and one that runs after it finds this one.
                    return .failure(cancelled)
                case .negotiating(let generation, let ping, var waiters):
                    waiters[waiter] = continuation
                    state = .negotiating(generation: generation, ping: ping, waiters: waiters)
                    return nil
                case .unknown:
                    let generation = makeID()
                    state = .negotiating(generation: generation, ping: startPing(generation), waiters: [waiter: continuation])
                    return nil
                }
            }
            if let immediate { continuation.resume(returning: immediate) }
        }

        /// A cancelled caller stops waiting; the last one to leave cancels the ping.
        func leave(_ waiter: UInt64, with cancelled: DockerEngine.Error) {
            let (continuation, abandoned): (Waiter?, Task<Void, Never>?) = state.withLock { state in
                guard case .negotiating(let generation, let ping, var waiters) = state,
                    let continuation = waiters.removeValue(forKey: waiter)
                else { return (nil, nil) }
                if waiters.isEmpty {
                    state = .unknown
                    return (continuation, ping)
                }
                state = .negotiating(generation: generation, ping: ping, waiters: waiters)
                return (continuation, nil)
            }
            abandoned?.cancel()
            continuation?.resume(returning: .failure(cancelled))
        }

        /// The ping's answer: kept when it is a version, forgotten when it is an error; either
        /// way it goes to everyone waiting.
        func finish(_ generation: UInt64, _ outcome: Outcome) {
            let waiters: [Waiter] = state.withLock { state in
                guard case .negotiating(let current, _, let waiters) = state, current == generation else {
                    return []  // abandoned: nobody waits for it, and a newer ping may be in flight
                }
                if case .success(let version) = outcome { state = .known(version) } else { state = .unknown }
                return Array(waiters.values)
            }
            for waiter in waiters { waiter.resume(returning: outcome) }
        }
    }

    /// An empty JSON object (`{}`), for bodies and for maps such as `ExposedPorts` whose values are `{}`.
    public struct Empty: Codable, Sendable, Hashable {
        public init() {}
    }
}
