import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TestSupport

/// What the stub server saw of one request.
struct RecordedRequest: Sendable {
    var method: String
    var uri: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// 1 for the first connection the server accepted, 2 for the next, ...
    var connection: Int

    func header(_ name: String) -> String? {
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    func headers(named name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }
}

/// Records requests and connections; lets a test hold a streamed answer open until it says so.
final class Recorder: Sendable {
    private struct State {
        var requests: [RecordedRequest] = []
        var channels: [any Channel] = []
        var closedConnections = 0
        var streamWriterFailures = 0
        var gateOpen = false
        var gateWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var requests: [RecordedRequest] { state.withLock { $0.requests } }
    var connectionCount: Int { state.withLock { $0.channels.count } }
    var closedConnections: Int { state.withLock { $0.closedConnections } }
    var streamWriterFailures: Int { state.withLock { $0.streamWriterFailures } }

    /// Numbers a connection (keeping the channel, so identities are never reused) and counts its close.
    func connectionNumber(of channel: any Channel) -> Int {
        let (number, isNew) = state.withLock { s -> (Int, Bool) in
            if let index = s.channels.firstIndex(where: { $0 === channel }) { return (index + 1, false) }
            s.channels.append(channel)
            return (s.channels.count, true)
        }
        if isNew {
            channel.closeFuture.whenComplete { _ in self.state.withLock { $0.closedConnections += 1 } }
        }
        return number
    }

    func record(_ request: RecordedRequest) { state.withLock { $0.requests.append(request) } }

    func noteWriterFailure() { state.withLock { $0.streamWriterFailures += 1 } }

    func openGate() {
        let waiters = state.withLock { s in
            s.gateOpen = true
            defer { s.gateWaiters = [] }
            return s.gateWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func waitForGate() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { s in
                if s.gateOpen { return true }
                s.gateWaiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    /// Polls until `condition` holds (true) or about `seconds` passed (false). Not a timing assertion:
    /// the limit only keeps a broken build from hanging.
    func eventually(seconds: Double = 10, _ condition: @Sendable (Recorder) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(self)
    }
}

/// HTTPTypes.HTTPField, reached through the HTTPFields that Hummingbird re-exports.
typealias Field = HTTPFields.Element

struct StubContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// A recording HTTP/1.1 server on a unix domain socket (Hummingbird), for CurlTransport's tests.
struct StubServer: Sendable {
    let socketPath: String
    let recorder: Recorder

    static func run<T: Sendable>(_ body: @Sendable (StubServer) async throws -> T) async throws -> T {
        let path = "/tmp/sptest-transport-\(UInt32.random(in: 0...UInt32.max)).sock"
        let recorder = Recorder()
        let router = makeRouter(recorder)
        let (ready, readyContinuation) = AsyncStream<Void>.makeStream()
        var logger = Logger(label: "sptest-transport-stub")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .unixDomainSocket(path: path)),
            onServerRunning: { _ in readyContinuation.finish() },
            logger: logger
        )
        defer { unlink(path) }
        return try await TestServers.with({ try await app.runService(gracefulShutdownSignals: []) }) {
            for await _ in ready {}
            return try await body(StubServer(socketPath: path, recorder: recorder))
        }
    }

    private static func makeRouter(_ recorder: Recorder) -> Router<StubContext> {
        let router = Router(context: StubContext.self)

        @Sendable func record(_ request: Request, _ context: StubContext) async throws -> RecordedRequest {
            var request = request
            let body = try await request.collectBody(upTo: 16 << 20)
            let recorded = RecordedRequest(
                method: request.method.rawValue,
                uri: request.uri.description,
                headers: request.headers.map { (name: $0.name.rawName, value: $0.value) },
                body: Array(buffer: body),
                connection: recorder.connectionNumber(of: context.channel)
            )
            recorder.record(recorded)
            return recorded
        }

        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head] {
            // Echo: status 200, a few headers (one repeated, to check order), the body back.
            router.on("/echo", method: method) { request, context in
                let recorded = try await record(request, context)
                var headers = HTTPFields()
                headers.append(Field(name: Field.Name("X-Stub")!, value: "first"))
                headers.append(Field(name: Field.Name("X-Multi")!, value: "a"))
                headers.append(Field(name: Field.Name("X-Multi")!, value: "b"))
                headers[.contentType] = "application/octet-stream"
                let payload = recorded.body.isEmpty ? Array("no body".utf8) : recorded.body
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: payload)))
            }
        }

        router.get("/status/{code}") { request, context in
            _ = try await record(request, context)
            let code = context.parameters.get("code", as: Int.self) ?? 500
            return Response(status: .init(code: code), body: .init(byteBuffer: ByteBuffer(string: "{\"message\":\"status \(code)\"}")))
        }

        router.get("/slow") { request, context in
            _ = try await record(request, context)
            let ms = request.uri.queryParameters.get("ms", as: Int.self) ?? 1000
            // Hummingbird does not cancel a handler whose client left: end the wait at shutdown instead.
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(ms)) }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "slow")))
        }

        // Two chunks with a line split between them; the second waits until the test opens the gate.
        router.get("/gated") { request, context in
            _ = try await record(request, context)
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "first\npar"))
                    await recorder.waitForGate()
                    try await writer.write(ByteBuffer(string: "tial\nlast"))
                    try await writer.finish(nil)
                })
        }

        // Never ends: a line every 10 ms until the client goes away.
        router.get("/endless") { request, context in
            _ = try await record(request, context)
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    var n = 0
                    do {
                        while true {
                            try await writer.write(ByteBuffer(string: "{\"tick\":\(n)}\n"))
                            n += 1
                            try await Task.sleep(for: .milliseconds(10))
                        }
                    } catch {
                        recorder.noteWriterFailure()
                        throw error
                    }
                })
        }

        // `bytes` bytes of a counting pattern (byte i is i % 251), in 32 KiB writes.
        router.get("/big") { request, context in
            _ = try await record(request, context)
            let total = request.uri.queryParameters.get("bytes", as: Int.self) ?? 1 << 20
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    var sent = 0
                    while sent < total {
                        let count = min(32 << 10, total - sent)
                        try await writer.write(ByteBuffer(bytes: (sent..<(sent + count)).map { UInt8($0 % 251) }))
                        sent += count
                    }
                    try await writer.finish(nil)
                })
        }
        return router
    }
}
