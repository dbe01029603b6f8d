import Foundation
import Synchronization
import Testing

@testable import HTTPTransport

private func transport(_ server: StubServer, options: CurlTransport.Options = .init()) throws -> CurlTransport {
    try CurlTransport(endpoint: HTTPEndpoint(address: .unixSocket(path: server.socketPath)), options: options)
}

@Suite("CurlTransport against a recording stub server on a unix socket", .timeLimit(.minutes(2)))
struct CurlTransportTests {
    struct ShapeCase: Sendable, CustomStringConvertible {
        var method: HTTPMethod
        var body: String?
        var contentType: String?
        var description: String { "\(method.rawValue) body=\(body ?? "none")" }
    }

    @Test(
        "request shapes: method, path and query, headers with the default User-Agent, body",
        arguments: [
            ShapeCase(method: .get, body: nil, contentType: nil),
            ShapeCase(method: .post, body: #"{"Image":"busybox"}"#, contentType: "application/json"),
            ShapeCase(method: .post, body: nil, contentType: nil),
            ShapeCase(method: .put, body: "tar-bytes", contentType: "application/x-tar"),
            ShapeCase(method: .patch, body: "{}", contentType: "application/json"),
            ShapeCase(method: .delete, body: nil, contentType: nil),
        ])
    func requestShape(_ shape: ShapeCase) async throws {
        try await StubServer.run { server in
            let client = try transport(server)
            var headers: [(name: String, value: String)] = [(name: "X-Registry-Auth", value: "e30=")]
            if let contentType = shape.contentType { headers.append((name: "Content-Type", value: contentType)) }
            let response = try await client.send(
                HTTPRequest(
                    method: shape.method, path: "/echo?all=1&filters=%7B%7D", headers: headers, body: shape.body.map { Data($0.utf8) }))
            #expect(response.status == 200)

            let seen = try #require(server.recorder.requests.first)
            #expect(seen.method == shape.method.rawValue)
            #expect(seen.uri == "/echo?all=1&filters=%7B%7D")
            #expect(seen.header("User-Agent") == "stackpilot/0.1.0")
            #expect(seen.header("User-Agent") == CurlTransport.defaultUserAgent)
            #expect(seen.header("X-Registry-Auth") == "e30=")
            #expect(seen.header("Expect") == nil)
            #expect(seen.header("Content-Type") == shape.contentType)
            #expect(seen.body == Array((shape.body ?? "").utf8))
            if let body = shape.body {
                #expect(seen.header("Content-Length") == String(body.utf8.count))
                #expect(response.body == Data(body.utf8))
            } else if shape.method == .post {
                #expect(seen.header("Content-Length") == "0")
            }
        }
    }

    @Test("a User-Agent set by the caller is sent instead of the default")
    func callerUserAgent() async throws {
        try await StubServer.run { server in
            _ = try await transport(server).send(HTTPRequest(path: "/echo", headers: [(name: "user-agent", value: "probe/1")]))
            #expect(server.recorder.requests.first?.headers(named: "User-Agent") == ["probe/1"])
        }
    }

    @Test("response status, all headers in order (repeats kept), body; a 404 is an answer, not an error")
    func responseParts() async throws {
        try await StubServer.run { server in
            let client = try transport(server)
            let ok = try await client.send(HTTPRequest(path: "/echo"))
            #expect(ok.status == 200)
            #expect(ok.isSuccess)
            let names = ok.headers.map { $0.name.lowercased() }
            let stub = try #require(names.firstIndex(of: "x-stub"))
            #expect(Array(names[stub...].prefix(3)) == ["x-stub", "x-multi", "x-multi"])
            #expect(ok.headers.filter { $0.name.lowercased() == "x-multi" }.map(\.value) == ["a", "b"])
            #expect(ok.header("x-multi") == "b")
            #expect(ok.header("CONTENT-TYPE") == "application/octet-stream")
            #expect(String(decoding: ok.body, as: UTF8.self) == "no body")

            let missing = try await client.send(HTTPRequest(path: "/status/404"))
            #expect(missing.status == 404)
            #expect(!missing.isSuccess)
            #expect(String(decoding: missing.body, as: UTF8.self) == #"{"message":"status 404"}"#)

            let head = try await client.send(HTTPRequest(method: .head, path: "/echo"))
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
        }
    }

    @Test("sequential requests reuse one connection")
    func connectionReuse() async throws {
        try await StubServer.run { server in
            let client = try transport(server)
            for _ in 0..<5 {
                let response = try await client.send(HTTPRequest(path: "/echo"))
                #expect(response.status == 200)
            }
            #expect(server.recorder.requests.count == 5)
            #expect(Set(server.recorder.requests.map(\.connection)) == [1])
            #expect(server.recorder.connectionCount == 1)
        }
    }

    @Test("concurrent requests run at the same time on several connections")
    func concurrency() async throws {
        try await StubServer.run { server in
            let client = try transport(server)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await client.send(HTTPRequest(path: "/slow?ms=300")).status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 8))
            // Had they run one after another, one connection would have served them all.
            #expect(server.recorder.connectionCount > 1)
        }
    }

    @Test("a streamed body arrives chunk by chunk before the response ends, and splits into lines")
    func streamingBeforeEnd() async throws {
        try await StubServer.run { server in
            let client = try transport(server)
            let response = try await client.stream(HTTPRequest(path: "/gated"))
            #expect(response.status == 200)
            var lines = response.body.lines.makeAsyncIterator()
            // The server holds the rest of the body until the gate opens: this line proves delivery
            // before the end of the response.
            let first = try await lines.next()
            #expect(first.map { String(decoding: $0, as: UTF8.self) } == "first")
            server.recorder.openGate()
            var rest: [String] = []
            while let line = try await lines.next() { rest.append(String(decoding: line, as: UTF8.self)) }
            #expect(rest == ["partial", "last"])
        }
    }

    @Test("cancelling the consuming task aborts the transfer: the server sees the connection close")
    func cancelStream() async throws {
        try await StubServer.run { server in
            let client = try transport(server)
            let received = Atomic<Int>(0)
            let consumer = Task {
                let response = try await client.stream(HTTPRequest(path: "/endless"))
                for try await _ in response.body.lines { received.add(1, ordering: .relaxed) }
            }
            #expect(await server.recorder.eventually { _ in received.load(ordering: .relaxed) >= 3 })
            consumer.cancel()
            await #expect(throws: CancellationError.self) { try await consumer.value }
            #expect(await server.recorder.eventually { $0.closedConnections >= 1 && $0.streamWriterFailures >= 1 })
        }
    }

    @Test("cancelling a task that reads raw chunks aborts the transfer and never reports a clean end silently")
    func cancelRawStream() async throws {
        try await StubServer.run { server in
            let client = try transport(server)
            let received = Atomic<Int>(0)
            let consumer = Task {
                let response = try await client.stream(HTTPRequest(path: "/endless"))
                for try await _ in response.body { received.add(1, ordering: .relaxed) }
                // AsyncThrowingStream may end quietly on cancellation; the task knows it was cancelled.
                try Task.checkCancellation()
            }
            #expect(await server.recorder.eventually { _ in received.load(ordering: .relaxed) >= 3 })
            consumer.cancel()
            await #expect(throws: CancellationError.self) { try await consumer.value }
            #expect(await server.recorder.eventually { $0.closedConnections >= 1 && $0.streamWriterFailures >= 1 })
        }
    }

    @Test("dropping an unfinished stream aborts the transfer")
    func dropStream() async throws {
        try await StubServer.run { server in
            let client = try transport(server)
            do {
                let response = try await client.stream(HTTPRequest(path: "/endless"))
                var iterator = response.body.makeAsyncIterator()
                _ = try await iterator.next()
            }
            #expect(await server.recorder.eventually { $0.closedConnections >= 1 && $0.streamWriterFailures >= 1 })
        }
    }

    @Test("cancelling a send aborts it with CancellationError")
    func cancelSend() async throws {
        try await StubServer.run { server in
            let client = try transport(server)
            let task = Task { try await client.send(HTTPRequest(path: "/slow?ms=20000")) }
            #expect(await server.recorder.eventually { $0.requests.count == 1 })
            task.cancel()
            await #expect(throws: CancellationError.self) { _ = try await task.value }
            #expect(await server.recorder.eventually { $0.closedConnections >= 1 })
        }
    }

    @Test("a slow consumer pauses the transfer and every byte still arrives in order")
    func backPressure() async throws {
        try await StubServer.run { server in
            let client = try transport(server, options: .init(streamBufferLimit: 16 << 10))
            let total = 3 << 20
            let response = try await client.stream(HTTPRequest(path: "/big?bytes=\(total)"))
            var offset = 0
            var mismatches = 0
            var chunks = 0
            for try await chunk in response.body {
                for byte in chunk {
                    if byte != UInt8(offset % 251) { mismatches += 1 }
                    offset += 1
                }
                chunks += 1
                if chunks % 8 == 0 { try await Task.sleep(for: .milliseconds(2)) }
            }
            #expect(offset == total)
            #expect(mismatches == 0)
        }
    }

    @Test("the total timeout ends a request that takes too long with a timeout error")
    func timeout() async throws {
        try await StubServer.run { server in
            let client = try transport(server)
            let error = try await #require(throws: CurlError.self) {
                _ = try await client.send(HTTPRequest(path: "/slow?ms=5000", timeout: .milliseconds(300)))
            }
            #expect(error.kind == .timedOut)
            #expect(error.isTimeout)
            #expect(!error.isConnectionRefused)
            #expect(error.description.contains("GET /slow?ms=5000"))

            let defaultLimited = try transport(server, options: .init(timeout: .milliseconds(300)))
            await #expect(throws: CurlError.self) {
                _ = try await defaultLimited.send(HTTPRequest(path: "/slow?ms=5000"))
            }
            let streamed = try await #require(throws: CurlError.self) {
                let response = try await client.stream(HTTPRequest(path: "/endless", timeout: .milliseconds(300)))
                for try await _ in response.body {}
            }
            #expect(streamed.kind == .timedOut)
        }
    }
}

@Suite("CurlTransport errors without a server")
struct CurlTransportErrorTests {
    @Test("a missing unix socket is recognisable as 'could not connect' and names the socket")
    func missingSocket() async throws {
        let path = "/tmp/sptest-transport-missing-\(UInt32.random(in: 0...UInt32.max)).sock"
        let client = try CurlTransport(endpoint: HTTPEndpoint(address: .unixSocket(path: path)))
        let error = try await #require(throws: CurlError.self) { _ = try await client.send(HTTPRequest(path: "/_ping")) }
        #expect(error.kind == .couldNotConnect)
        #expect(error.isConnectionRefused)
        #expect(error.endpoint == "unix://\(path)")
        #expect(error.description.contains("unix://\(path)"))
        await #expect(throws: CurlError.self) { _ = try await client.stream(HTTPRequest(path: "/events")) }
    }

    @Test("a socket file nobody listens on (a dead engine) is refused the same way")
    func deadSocket() async throws {
        let path = "/tmp/sptest-transport-dead-\(UInt32.random(in: 0...UInt32.max)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)  // bound but never listening: connect() gets ECONNREFUSED
        let client = try CurlTransport(endpoint: HTTPEndpoint(address: .unixSocket(path: path)))
        let error = try await #require(throws: CurlError.self) { _ = try await client.send(HTTPRequest(path: "/_ping")) }
        #expect(error.isConnectionRefused)
    }

    @Test("a refused TCP port is 'could not connect' too")
    func refusedTCP() async throws {
        // Port 1 on loopback: nothing listens there on these machines.
        let client = try CurlTransport(endpoint: HTTPEndpoint(address: .url("http://127.0.0.1:1")))
        let error = try await #require(throws: CurlError.self) { _ = try await client.send(HTTPRequest(path: "/api/health")) }
        #expect(error.kind == .couldNotConnect)
        #expect(error.endpoint == "http://127.0.0.1:1")
    }

    @Test("an endpoint that is not http(s) is rejected when the transport is made", arguments: ["ftp://host", "tcp://127.0.0.1:2375", ""])
    func badURL(_ url: String) {
        #expect(throws: CurlError.self) { _ = try CurlTransport(endpoint: HTTPEndpoint(address: .url(url))) }
    }

    @Test("a transport that goes away while requests run lets them finish")
    func dropTransport() async throws {
        try await StubServer.run { server in
            var client: CurlTransport? = try CurlTransport(endpoint: HTTPEndpoint(address: .unixSocket(path: server.socketPath)))
            let response = try await client!.stream(HTTPRequest(path: "/gated"))
            client = nil
            server.recorder.openGate()
            var collected = Data()
            for try await chunk in response.body { collected.append(chunk) }
            #expect(String(decoding: collected, as: UTF8.self) == "first\npartial\nlast")
        }
    }
}

@Suite("HTTPEndpoint descriptions")
struct EndpointDescriptionTests {
    @Test(
        "credentials in a URL never reach descriptions or errors",
        arguments: [
            ("http://admin:s3cret@127.0.0.1:1/grafana", "http://***@127.0.0.1:1/grafana"),
            ("https://token@host:2376", "https://***@host:2376"),
            ("http://127.0.0.1:3000/a@b", "http://127.0.0.1:3000/a@b"),
            ("http://localhost:9090", "http://localhost:9090"),
        ])
    func redaction(_ url: String, _ expected: String) async throws {
        let endpoint = HTTPEndpoint(address: .url(url))
        #expect(endpoint.description == expected)
        if url.contains("127.0.0.1:1") {
            let client = try CurlTransport(endpoint: endpoint)
            let error = try await #require(throws: CurlError.self) { _ = try await client.send(HTTPRequest(path: "/api/health")) }
            #expect(!error.description.contains("s3cret"))
            #expect(error.endpoint == expected)
        }
    }

    @Test("a unix socket endpoint reads unix://path")
    func unix() {
        #expect(HTTPEndpoint(address: .unixSocket(path: "/var/run/docker.sock")).description == "unix:///var/run/docker.sock")
    }
}
