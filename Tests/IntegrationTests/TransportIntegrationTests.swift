import Foundation
import HTTPTransport
import JSONDocument
import TestSupport
import Testing

/// The engine's unix socket as the CLI finds it: `DOCKER_HOST=unix://...`, else the default.
private var engineSocket: String {
    if let host = ProcessInfo.processInfo.environment["DOCKER_HOST"], host.hasPrefix("unix://") {
        return String(host.dropFirst("unix://".count))
    }
    return "/var/run/docker.sock"
}

private func engineTransport() throws -> CurlTransport {
    try CurlTransport(
        endpoint: HTTPEndpoint(address: .unixSocket(path: engineSocket)),
        options: .init(connectTimeout: .seconds(3), timeout: .seconds(30)))
}

/// CurlTransport against the real Docker engine. It creates one network of its own, briefly, and nothing else.
@Suite("CurlTransport against the real engine", .requiresEngine)
struct TransportIntegrationTests {
    @Test("GET /_ping on the engine socket answers 200 OK with the engine's API version header")
    func ping() async throws {
        let transport = try engineTransport()
        let response = try await transport.send(HTTPRequest(path: "/_ping"))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "OK")
        let apiVersion = try #require(response.header("api-version"))
        #expect(apiVersion.hasPrefix("1."))
    }

    @Test("GET /version decodes as JSON and agrees with the ping header")
    func version() async throws {
        let transport = try engineTransport()
        let ping = try await transport.send(HTTPRequest(path: "/_ping"))
        let response = try await transport.send(HTTPRequest(path: "/version"))
        #expect(response.status == 200)
        let doc = try JSONDocument(parsing: response.body, source: "GET /version")
        #expect(doc["ApiVersion"]?.string == ping.header("Api-Version"))
        #expect(doc["Version"]?.string?.isEmpty == false)
    }

    @Test("an unknown path is a 404 answer carrying the engine's message, not a transport error")
    func notFound() async throws {
        let transport = try engineTransport()
        let response = try await transport.send(HTTPRequest(path: "/containers/sptest-transport-no-such-container-\(UInt32.random(in: 0...UInt32.max))/json"))
        #expect(response.status == 404)
        let doc = try JSONDocument(parsing: response.body)
        #expect(doc["message"]?.string?.contains("No such container") == true)
    }

    @Test("many concurrent requests all answer")
    func concurrent() async throws {
        let transport = try engineTransport()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<24 {
                group.addTask {
                    try await transport.send(HTTPRequest(path: i.isMultiple(of: 2) ? "/_ping" : "/containers/json?all=1")).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 24)
        #expect(statuses.allSatisfy { $0 == 200 })
    }

    @Test("a bounded events stream arrives as NDJSON lines that each parse, holding the events we caused")
    func eventsStream() async throws {
        let transport = try engineTransport()
        // Cause two events of our own: a network created and removed.
        let name = "sptest-transport-\(UInt32.random(in: 0...UInt32.max))"
        let since = Int(Date().timeIntervalSince1970) - 1
        let created = try await transport.send(
            HTTPRequest(
                method: .post, path: "/networks/create", headers: [("Content-Type", "application/json")],
                body: Data("{\"Name\":\"\(name)\"}".utf8)))
        #expect(created.status == 201)
        let removed = try await transport.send(HTTPRequest(method: .delete, path: "/networks/\(name)"))
        #expect(removed.status == 204)
        let until = Int(Date().timeIntervalSince1970) + 1
        let response = try await transport.stream(HTTPRequest(path: "/events?since=\(since)&until=\(until)"))
        #expect(response.status == 200)
        var ours: [String] = []
        var count = 0
        for try await line in response.body.lines where !line.isEmpty {
            let event = try JSONDocument(parsing: line, source: "event \(count)")
            #expect(event["Type"]?.string != nil)
            if event["Actor"]?["Attributes"]?["name"]?.string == name, let action = event["Action"]?.string { ours.append(action) }
            count += 1
        }
        #expect(ours == ["create", "destroy"], "events for \(name): \(ours) of \(count)")
    }

    @Test("cancelling an open-ended events stream read by lines ends it with CancellationError")
    func cancelEvents() async throws {
        let transport = try engineTransport()
        let response = try await transport.stream(HTTPRequest(path: "/events"))
        #expect(response.status == 200)
        // Through `lines`, as the engine client reads streams: a bare AsyncThrowingStream may just
        // end when its consumer is cancelled (documented on HTTPStreamingResponse.body), while
        // `lines` must throw, so a cut stream never looks complete.
        let consumer = Task { for try await _ in response.body.lines {} }
        try await Task.sleep(for: .milliseconds(200))
        consumer.cancel()
        await #expect(throws: CancellationError.self) { try await consumer.value }
        // The transport still works afterwards.
        #expect(try await transport.send(HTTPRequest(path: "/_ping")).status == 200)
    }
}
