import DockerEngine
import Foundation
import HTTPTransport
import Hummingbird
import Logging
import NIOCore
import Synchronization
import TestSupport
import Testing

/// A fake engine on a unix socket (Hummingbird) behind the real `CurlTransport`: what the client
/// puts on the wire, and how it reads streamed answers split into several writes.
@Suite("DockerEngine.Client against a stub engine on a unix socket")
struct StubEngineServerTests {
    struct Seen: Sendable {
        var method: String
        var uri: String
        var userAgent: String?
        var contentType: String?
        var body: [UInt8]
    }

    final class Recorder: Sendable {
        let seen = Mutex<[Seen]>([])
        func record(_ request: Request) async throws -> Seen {
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let entry = Seen(
                method: request.method.rawValue, uri: request.uri.description,
                userAgent: request.headers[.userAgent], contentType: request.headers[.contentType],
                body: Array(buffer: body))
            seen.withLock { $0.append(entry) }
            return entry
        }
    }

    static func frame(_ source: UInt8, _ text: String) -> ByteBuffer {
        var buffer = ByteBuffer(bytes: [source, 0, 0, 0])
        buffer.writeInteger(UInt32(text.utf8.count), endianness: .big)
        buffer.writeString(text)
        return buffer
    }

    /// Serves `router` on a fresh unix socket and gives `body` a client of it (real `CurlTransport`).
    static func serve<T: Sendable>(
        _ router: Router<BasicRequestContext>,
        apiVersion: DockerEngine.APIVersion? = nil,
        _ body: @Sendable (DockerEngine.Client) async throws -> T
    ) async throws -> T {
        let path = "/tmp/sptest-engine-stub-\(UInt32.random(in: 0...UInt32.max)).sock"
        var logger = Logger(label: "sptest-engine-stub")
        logger.logLevel = .critical
        let (ready, readyContinuation) = AsyncStream<Void>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .unixDomainSocket(path: path)),
            onServerRunning: { _ in readyContinuation.finish() }, logger: logger)
        defer { unlink(path) }
        return try await TestServers.with({ try await app.runService(gracefulShutdownSignals: []) }) {
            for await _ in ready {}
            let client = try DockerEngine.Client(host: DockerEngine.Host.resolve(host: "unix://\(path)", environment: [:]), apiVersion: apiVersion)
            return try await body(client)
        }
    }

    static func withStubEngine<T: Sendable>(_ body: @Sendable (DockerEngine.Client, Recorder) async throws -> T) async throws -> T {
        let recorder = Recorder()
        let router = Router()
        router.get("/_ping") { request, _ in
            _ = try await recorder.record(request)
            var headers = HTTPFields()
            headers[HTTPFields.Element.Name("API-Version")!] = "1.43"
            headers[HTTPFields.Element.Name("OSType")!] = "linux"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "OK")))
        }
        router.post("/v1.43/containers/create") { request, _ in
            _ = try await recorder.record(request)
            return Response(
                status: .created, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: "{\"Id\":\"c0ffee\",\"Warnings\":[]}")))
        }
        router.get("/v1.43/containers/missing/json") { request, _ in
            _ = try await recorder.record(request)
            return Response(
                status: .notFound, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: "{\"message\":\"No such container: missing\"}")))
        }
        router.get("/v1.43/containers/c0ffee/logs") { request, _ in
            _ = try await recorder.record(request)
            // One frame split across two writes, then a whole one: the parser must join them.
            let first = frame(1, "hello\n"), second = frame(2, "warn\n")
            return Response(
                status: .ok, headers: [.contentType: "application/vnd.docker.multiplexed-stream"],
                body: ResponseBody { writer in
                    try await writer.write(first.getSlice(at: 0, length: 5)!)
                    try await Task.sleep(for: .milliseconds(20))
                    try await writer.write(first.getSlice(at: 5, length: first.readableBytes - 5)!)
                    try await writer.write(second)
                    try await writer.finish(nil)
                })
        }
        router.post("/v1.43/images/create") { request, _ in
            _ = try await recorder.record(request)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "{\"status\":\"Pulling from team/app\",\"id\":\"1.0\"}\n{\"errorDe"))
                    try await Task.sleep(for: .milliseconds(20))
                    try await writer.write(ByteBuffer(string: "tail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n"))
                    try await writer.finish(nil)
                })
        }
        return try await serve(router) { client in try await body(client, recorder) }
    }

    @Test("the wire carries the negotiated version, the User-Agent and the JSON body")
    func wireShape() async throws {
        try await Self.withStubEngine { client, recorder in
            var config = DockerEngine.ContainerConfig(image: "busybox", cmd: ["true"])
            config.labels = ["com.docker.compose.project": "web"]
            let created = try await client.createContainer(name: "web-api-1", config)
            #expect(created.id == "c0ffee")
            let seen = recorder.seen.withLock { $0 }
            #expect(seen.map(\.uri) == ["/_ping", "/v1.43/containers/create?name=web-api-1"])
            #expect(seen.allSatisfy { $0.userAgent == "stackpilot/0.1.0" })
            let create = try #require(seen.last)
            #expect(create.method == "POST")
            #expect(create.contentType == "application/json")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(create.body)) as? [String: Any])
            #expect(json["Image"] as? String == "busybox")
            #expect(json["Labels"] as? [String: String] == ["com.docker.compose.project": "web"])
        }
    }

    @Test("a 404 from the socket is .http with the engine's message")
    func notFound() async throws {
        try await Self.withStubEngine { client, _ in
            let error = await #expect(throws: DockerEngine.Error.self) { try await client.inspectContainer("missing") }
            #expect(error?.isNotFound == true)
            #expect(error?.description.contains("No such container: missing") == true)
        }
    }

    @Test("log frames split across writes on the wire are demultiplexed")
    func logsOverTheWire() async throws {
        try await Self.withStubEngine { client, _ in
            let output = try await client.logs("c0ffee").collect()
            #expect(String(decoding: output.stdout, as: UTF8.self) == "hello\n")
            #expect(String(decoding: output.stderr, as: UTF8.self) == "warn\n")
        }
    }

    @Test("an errorDetail split across writes of a 200 pull stream throws .stream")
    func pullErrorOverTheWire() async throws {
        try await Self.withStubEngine { client, recorder in
            let error = await #expect(throws: DockerEngine.Error.self) { try await client.pull("team/app:1.0") }
            guard case .stream(let message)? = error else {
                Issue.record("expected .stream, got \(String(describing: error))")
                return
            }
            #expect(message.contains("manifest unknown"))
            #expect(recorder.seen.withLock { $0.last?.uri } == "/v1.43/images/create?fromImage=team%2Fapp&tag=1.0")
        }
    }
}
