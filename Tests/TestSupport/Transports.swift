import Foundation
import HTTPTransport
import Synchronization

// Test doubles for the `HTTPTransport` seam, named for what they do: `StubTransport` answers what
// the test tells it (and keeps what it was sent), `SpyTransport` passes everything on to a real
// transport and records it, `DeadTransport` fails every call as a dead socket does.

/// One request as a test double saw it.
public struct SentRequest: Sendable {
    public var method: HTTPMethod
    /// Path and query, as sent (`/v1.41/containers/json?all=1`).
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: Data?

    public init(_ request: HTTPRequest) {
        self.init(method: request.method, path: request.path, headers: request.headers, body: request.body)
    }

    public init(method: HTTPMethod, path: String, headers: [(name: String, value: String)] = [], body: Data? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// Reads are GET and HEAD; everything else writes.
    public var isWrite: Bool { method != .get && method != .head }

    /// The body as a JSON object, when it is one.
    public var bodyJSON: [String: Any]? {
        body.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }

    /// The last header of that name, ignoring case.
    public func header(_ name: String) -> String? {
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// Query items of the path, decoded.
    public var query: [String: [String]] {
        guard let components = URLComponents(string: "http://x" + path) else { return [:] }
        var result: [String: [String]] = [:]
        for item in components.queryItems ?? [] { result[item.name, default: []].append(item.value ?? "") }
        return result
    }

    /// The path without its query.
    public var pathOnly: String { String(path.prefix { $0 != "?" }) }
}

/// A stub: answers every request from `handler` (and `/_ping` as a Docker engine does, with
/// `API-Version: engineAPIVersion`), and keeps what it was sent, so request shapes and error
/// mapping need no server. (The wire itself is covered by tests against stub servers.)
public final class StubTransport: HTTPTransport {
    public typealias Recorded = SentRequest

    public struct Answer: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: Data
        /// For streamed answers: the body split into these chunks.
        public var chunks: [Data]?

        public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: Data = Data(), chunks: [Data]? = nil) {
            self.status = status
            self.headers = headers
            self.body = body
            self.chunks = chunks
        }

        public static func json(_ text: String, status: Int = 200) -> Answer {
            Answer(status: status, headers: [(name: "Content-Type", value: "application/json")], body: Data(text.utf8))
        }
    }

    public let engineAPIVersion: String?
    private let handler: @Sendable (SentRequest) throws -> Answer
    private let log = Mutex<[SentRequest]>([])

    /// `engineAPIVersion` is what `/_ping` answers in `API-Version` (nil: no such header);
    /// `handler` answers the rest.
    public init(engineAPIVersion: String? = "1.41", handler: @escaping @Sendable (SentRequest) throws -> Answer = { _ in .json("{}") }) {
        self.engineAPIVersion = engineAPIVersion
        self.handler = handler
    }

    /// Every request, in order.
    public var requests: [SentRequest] { log.withLock { $0 } }
    /// Requests other than `/_ping`.
    public var apiRequests: [SentRequest] { requests.filter { $0.path != "/_ping" } }

    private func answer(_ request: HTTPRequest) throws -> Answer {
        let sent = SentRequest(request)
        log.withLock { $0.append(sent) }
        if request.path == "/_ping" {
            var headers: [(name: String, value: String)] = [(name: "OSType", value: "linux")]
            if let engineAPIVersion { headers.append((name: "API-Version", value: engineAPIVersion)) }
            return Answer(status: 200, headers: headers, body: Data("OK".utf8))
        }
        return try handler(sent)
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let answer = try answer(request)
        return HTTPResponse(status: answer.status, headers: answer.headers, body: answer.chunks.map { $0.reduce(Data(), +) } ?? answer.body)
    }

    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let answer = try answer(request)
        let chunks = answer.chunks ?? [answer.body]
        let body = AsyncThrowingStream<Data, any Error> { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
        return HTTPStreamingResponse(status: answer.status, headers: answer.headers, body: body)
    }
}

/// A spy: passes every request on to `inner` (a real transport) and records it first, so a test can
/// check what was asked, in what order, and how many reads and writes it took.
public final class SpyTransport: HTTPTransport {
    public let inner: any HTTPTransport
    private let log = Mutex<[SentRequest]>([])

    public init(_ inner: any HTTPTransport) { self.inner = inner }

    /// Every request since the start or the last `reset()`, in order.
    public var sent: [SentRequest] { log.withLock { $0 } }
    /// Method (`GET`) and path of every request.
    public var requests: [(method: String, path: String)] { sent.map { ($0.method.rawValue, $0.path) } }
    /// The path of every request.
    public var paths: [String] { sent.map(\.path) }
    /// How many requests went to exactly this path (`/_ping`).
    public func count(of path: String) -> Int { sent.filter { $0.path == path }.count }

    /// GET and HEAD requests.
    public var reads: Int { sent.filter { !$0.isWrite }.count }
    public var readPaths: [String] { sent.filter { !$0.isWrite }.map(\.path) }
    /// Every other request.
    public var writes: Int { sent.filter(\.isWrite).count }
    /// `METHOD path` of each write.
    public var writePaths: [String] { sent.filter(\.isWrite).map { "\($0.method.rawValue) \($0.path)" } }

    /// Forgets what was recorded so far.
    public func reset() { log.withLock { $0 = [] } }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        log.withLock { $0.append(SentRequest(request)) }
        return try await inner.send(request)
    }

    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        log.withLock { $0.append(SentRequest(request)) }
        return try await inner.stream(request)
    }
}

/// A transport whose every call fails as a dead socket would.
public struct DeadTransport: HTTPTransport {
    public struct ConnectionRefused: Error, CustomStringConvertible {
        public var description: String { "Couldn't connect to server" }
    }

    public init() {}

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse { throw ConnectionRefused() }
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse { throw ConnectionRefused() }
}

/// `data` in chunks of `size` bytes (the last may be shorter): a body as a network delivers it.
public func chunked(_ data: Data, size: Int) -> [Data] {
    stride(from: 0, to: data.count, by: size).map { data.subdata(in: $0..<min($0 + size, data.count)) }
}
