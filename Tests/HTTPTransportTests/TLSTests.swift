import Foundation
import TestSupport
import Testing

@testable import HTTPTransport

/// A throw-away PKI (CA, server certificate for 127.0.0.1, client certificate) made with the
/// openssl CLI, and a mutual-TLS HTTPS server on 127.0.0.1 made with Python's ssl module.
private struct TLSServer {
    let directory: URL
    let port: Int
    let process: Process

    var ca: String { directory.appendingPathComponent("ca.pem").path }
    var cert: String { directory.appendingPathComponent("client-cert.pem").path }
    var key: String { directory.appendingPathComponent("client-key.pem").path }

    struct SetupFailed: Error, CustomStringConvertible {
        var description: String
    }

    @discardableResult
    private static func run(_ arguments: [String], in directory: URL) throws -> String {
        let result = try Subprocess.run("/usr/bin/env", arguments, in: directory)
        guard result.status == 0 else {
            throw SetupFailed(description: "\(arguments.joined(separator: " ")) failed: \(result.output)")
        }
        return result.output
    }

    static let serverScript = """
        import http.server, ssl, sys
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                peer = self.connection.getpeercert() or {}
                cn = [v for rdn in peer.get("subject", ()) for (k, v) in rdn if k == "commonName"]
                body = ("client=" + (cn[0] if cn else "none")).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain("server-cert.pem", "server-key.pem")
        context.load_verify_locations("ca.pem")
        context.verify_mode = ssl.CERT_REQUIRED
        server.socket = context.wrap_socket(server.socket, server_side=True)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    static func start() throws -> TLSServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-transport-tls-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let days = "2"
        try run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem",
                "-days", days, "-subj", "/CN=sptest-ca",
            ], in: directory)
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try run(
            [
                "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr",
                "-subj", "/CN=127.0.0.1",
            ], in: directory)
        try run(
            [
                "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-out", "server-cert.pem", "-days", days, "-extfile", "server.ext",
            ], in: directory)
        try run(
            [
                "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client-key.pem", "-out", "client.csr",
                "-subj", "/CN=sptest-client",
            ], in: directory)
        try run(
            [
                "openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                "-out", "client-cert.pem", "-days", days,
            ], in: directory)
        try serverScript.write(to: directory.appendingPathComponent("server.py"), atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "server.py"]
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        // The first line is the port the server bound.
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw SetupFailed(description: "the python TLS server did not start")
        }
        return TLSServer(directory: directory, port: port, process: process)
    }

    func stop() {
        // SIGKILL: the test runner's blocked-signal mask is inherited, so python may never see SIGTERM.
        // And Foundation's waitUntilExit can hang when called from a pool thread; poll instead.
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<250 where process.isRunning { usleep(20_000) }
        try? FileManager.default.removeItem(at: directory)
    }

    func transport(_ tls: HTTPEndpoint.TLS) throws -> CurlTransport {
        try CurlTransport(
            endpoint: HTTPEndpoint(address: .url("https://127.0.0.1:\(port)"), tls: tls),
            options: .init(connectTimeout: .seconds(5), timeout: .seconds(10)))
    }
}

@Suite("CurlTransport over TLS (openssl-made PKI, Python HTTPS server on loopback)", .serialized)
struct TLSTests {
    @Test("CA file, client certificate and key: verified both ways; a missing CA or client certificate fails")
    func mutualTLS() async throws {
        let server = try TLSServer.start()
        defer { server.stop() }

        let good = try server.transport(.init(caFile: server.ca, certificateFile: server.cert, keyFile: server.key))
        let response = try await good.send(HTTPRequest(path: "/info"))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "client=sptest-client")

        // Verification is on by default: the system CAs do not know this server.
        let noCA = try server.transport(.init(certificateFile: server.cert, keyFile: server.key))
        let unverified = try await #require(throws: CurlError.self) { _ = try await noCA.send(HTTPRequest(path: "/info")) }
        #expect(unverified.kind == .tls)
        #expect(unverified.endpoint == "https://127.0.0.1:\(server.port)")

        // The server requires a client certificate.
        let noClientCert = try server.transport(.init(caFile: server.ca))
        let refused = try await #require(throws: CurlError.self) { _ = try await noClientCert.send(HTTPRequest(path: "/info")) }
        #expect([.tls, .connectionLost].contains(refused.kind))

        // Turning verification off explicitly accepts the unknown server.
        let insecure = try server.transport(.init(certificateFile: server.cert, keyFile: server.key, verifyPeer: false))
        #expect(try await insecure.send(HTTPRequest(path: "/info")).status == 200)

        // An unreadable client certificate is a TLS error naming nothing secret.
        let missingFile = try server.transport(.init(caFile: server.ca, certificateFile: "/nonexistent/cert.pem", keyFile: server.key))
        let badFile = try await #require(throws: CurlError.self) { _ = try await missingFile.send(HTTPRequest(path: "/info")) }
        #expect(badFile.kind == .tls)
    }
}
