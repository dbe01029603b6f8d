import Foundation
import HTTPTransport
import Synchronization

/// An `HTTPTransport` that records every request and answers from a handler: request shapes and
/// error mapping need no server. (The wire itself is covered by `StubEngineServerTests`.)
final class RecordingTransport: HTTPTransport {
    struct Answer: Sendable {
        var status: Int = 200
        var headers: [(name: String, value: String)] = []
        var body: Data = Data()
        /// For streamed answers: the body split into these chunks.
        var chunks: [Data]? = nil

        static func json(_ text: String, status: Int = 200) -> Answer {
            Answer(status: status, headers: [(name: "Content-Type", value: "application/json")], body: Data(text.utf8))
        }
    }

    struct Recorded: Sendable {
        var method: HTTPMethod
        var path: String
        var headers: [(name: String, value: String)]
        var body: Data?

        var bodyJSON: [String: Any]? {
            body.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }

        func header(_ name: String) -> String? {
            headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        /// Query items of the path, decoded.
        var query: [String: [String]] {
            guard let components = URLComponents(string: "http://x" + path) else { return [:] }
            var result: [String: [String]] = [:]
            for item in components.queryItems ?? [] { result[item.name, default: []].append(item.value ?? "") }
            return result
        }

        var pathOnly: String { String(path.prefix { $0 != "?" }) }
    }

    let engineAPIVersion: String?
    private let handler: @Sendable (Recorded) throws -> Answer
    private let log = Mutex<[Recorded]>([])

    /// `engineAPIVersion` is what `/_ping` answers in `API-Version`; `handler` answers the rest.
    init(engineAPIVersion: String? = "1.41", handler: @escaping @Sendable (Recorded) throws -> Answer = { _ in .json("{}") }) {
        self.engineAPIVersion = engineAPIVersion
        self.handler = handler
    }

    var requests: [Recorded] { log.withLock { $0 } }
    /// Requests other than `/_ping`.
    var apiRequests: [Recorded] { requests.filter { $0.path != "/_ping" } }

    private func answer(_ request: HTTPRequest) throws -> Answer {
        let recorded = Recorded(method: request.method, path: request.path, headers: request.headers, body: request.body)
        log.withLock { $0.append(recorded) }
        if request.path == "/_ping" {
            var headers: [(name: String, value: String)] = [(name: "OSType", value: "linux")]
            if let engineAPIVersion { headers.append((name: "API-Version", value: engineAPIVersion)) }
            return Answer(status: 200, headers: headers, body: Data("OK".utf8))
        }
        return try handler(recorded)
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let answer = try answer(request)
        return HTTPResponse(status: answer.status, headers: answer.headers, body: answer.chunks.map { $0.reduce(Data(), +) } ?? answer.body)
    }

    func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let answer = try answer(request)
        let chunks = answer.chunks ?? [answer.body]
        let body = AsyncThrowingStream<Data, any Error> { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
        return HTTPStreamingResponse(status: answer.status, headers: answer.headers, body: body)
    }
}

/// A transport whose every call fails as a dead socket would.
struct DeadTransport: HTTPTransport {
    struct ConnectionRefused: Error, CustomStringConvertible {
        var description: String { "Couldn't connect to server" }
    }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse { throw ConnectionRefused() }
    func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse { throw ConnectionRefused() }
}

/// Splits data into chunks of `size` bytes.
func chunked(_ data: Data, size: Int) -> [Data] {
    stride(from: 0, to: data.count, by: size).map { data.subdata(in: $0..<min($0 + size, data.count)) }
}
