import Foundation
import Testing

@testable import HTTPTransport

/// Produces `total` bytes of a counting pattern (byte i is i % 251) in reads of at most `step`
/// bytes; throws `Broken` once `failAt` bytes were produced.
final class PatternReader: HTTPBodyReader {
    struct Broken: Error, CustomStringConvertible { var description: String { "the source broke" } }
    let total: Int
    let step: Int
    let failAt: Int?
    private var produced = 0

    init(total: Int, step: Int, failAt: Int? = nil) {
        self.total = total
        self.step = step
        self.failAt = failAt
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failAt, produced >= failAt { throw Broken() }
        let n = min(buffer.count, step, total - produced)
        for i in 0..<n { buffer[i] = UInt8((produced + i) % 251) }
        produced += n
        return n
    }

    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251) } }
}

@Suite("CurlTransport: streamed request bodies and the cap on collected answers", .timeLimit(.minutes(2)))
struct StreamedBodyTests {
    private func transport(_ server: StubServer, maxResponseBody: Int = CurlTransport.Options.defaultMaxResponseBody) throws -> CurlTransport {
        try CurlTransport(endpoint: HTTPEndpoint(address: .unixSocket(path: server.socketPath)), options: .init(maxResponseBody: maxResponseBody))
    }

    struct UploadCase: Sendable, CustomStringConvertible {
        var total: Int
        var step: Int
        var knownLength: Bool
        var method: HTTPMethod = .post
        var description: String { "\(method.rawValue) \(total) bytes in reads of \(step), \(knownLength ? "Content-Length" : "chunked")" }
    }

    @Test(
        "the server gets every byte the reader produced, with Content-Length when known, chunked otherwise",
        arguments: [
            UploadCase(total: 3 << 20, step: 65536, knownLength: true),
            UploadCase(total: 3 << 20, step: 1000, knownLength: false),
            UploadCase(total: 100_003, step: 7, knownLength: true, method: .put),
            UploadCase(total: 0, step: 1, knownLength: true),
            UploadCase(total: 0, step: 1, knownLength: false),
        ])
    func upload(_ c: UploadCase) async throws {
        try await StubServer.run { server in
            let body = HTTPBodyStream(length: c.knownLength ? Int64(c.total) : nil) { PatternReader(total: c.total, step: c.step) }
            let response = try await transport(server).send(
                HTTPRequest(
                    method: c.method, path: "/echo", headers: [(name: "Content-Type", value: "application/x-tar")], bodyStream: body))
            #expect(response.status == 200)
            let seen = try #require(server.recorder.requests.first)
            #expect(seen.method == c.method.rawValue)
            #expect(seen.body.count == c.total)
            #expect(seen.body == PatternReader.pattern(c.total))
            #expect(seen.header("Content-Type") == "application/x-tar")
            #expect(seen.header("Expect") == nil)
            if c.knownLength {
                #expect(seen.header("Content-Length") == String(c.total))
                #expect(seen.header("Transfer-Encoding") == nil)
            } else {
                #expect(seen.header("Transfer-Encoding") == "chunked")
            }
        }
    }

    @Test("a streamed body on a stream request (as a build sends its context) arrives whole")
    func uploadOnStream() async throws {
        try await StubServer.run { server in
            let total = 2 << 20
            let body = HTTPBodyStream(length: Int64(total)) { PatternReader(total: total, step: 50_000) }
            let response = try await transport(server).stream(HTTPRequest(method: .post, path: "/echo", bodyStream: body))
            var received = 0
            for try await chunk in response.body { received += chunk.count }
            #expect(response.status == 200)
            #expect(received == total)
            #expect(server.recorder.requests.first?.body == PatternReader.pattern(total))
        }
    }

    @Test("a reader that fails stops the transfer with .requestBody and its reason")
    func readerFails() async throws {
        try await StubServer.run { server in
            let body = HTTPBodyStream(length: 1 << 20) { PatternReader(total: 1 << 20, step: 4096, failAt: 100_000) }
            let error = await #expect(throws: CurlError.self) {
                _ = try await transport(server).send(HTTPRequest(method: .post, path: "/echo", bodyStream: body))
            }
            #expect(error?.kind == .requestBody)
            #expect(error?.message == "the source broke")
        }
    }

    @Test("a reader that cannot be opened fails the request before it is sent")
    func openFails() async throws {
        try await StubServer.run { server in
            let body = HTTPBodyStream(length: 10) { throw PatternReader.Broken() }
            let error = await #expect(throws: CurlError.self) {
                _ = try await transport(server).send(HTTPRequest(method: .post, path: "/echo", bodyStream: body))
            }
            #expect(error?.kind == .requestBody)
            #expect(server.recorder.requests.isEmpty)
        }
    }

    struct CapCase: Sendable, CustomStringConvertible {
        var bytes: Int
        var cap: Int
        var fits: Bool
        var description: String { "\(bytes) bytes under a cap of \(cap)" }
    }

    @Test(
        "a collected answer larger than maxResponseBody throws .responseTooLarge; one at the cap is whole",
        arguments: [
            CapCase(bytes: 1 << 20, cap: 1 << 20, fits: true),
            CapCase(bytes: (1 << 20) + 1, cap: 1 << 20, fits: false),
            CapCase(bytes: 8 << 20, cap: 1 << 20, fits: false),
            CapCase(bytes: 100, cap: 0, fits: false),
        ])
    func cap(_ c: CapCase) async throws {
        try await StubServer.run { server in
            let client = try transport(server, maxResponseBody: c.cap)
            let request = HTTPRequest(path: "/big?bytes=\(c.bytes)")
            if c.fits {
                let response = try await client.send(request)
                #expect(response.body.count == c.bytes)
            } else {
                let error = await #expect(throws: CurlError.self) { _ = try await client.send(request) }
                #expect(error?.kind == .responseTooLarge)
                // The transport still works afterwards.
                #expect(try await client.send(HTTPRequest(path: "/big?bytes=0")).status == 200)
            }
        }
    }

    @Test("the default cap is 64 MiB and streams are not capped")
    func defaults() async throws {
        #expect(CurlTransport.Options().maxResponseBody == 64 << 20)
        try await StubServer.run { server in
            let response = try await transport(server, maxResponseBody: 1024).stream(HTTPRequest(path: "/big?bytes=\(1 << 20)"))
            var received = 0
            for try await chunk in response.body { received += chunk.count }
            #expect(received == 1 << 20)
        }
    }
}
