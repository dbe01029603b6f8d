// transport-bench: latency of CurlTransport next to a hand-written keep-alive HTTP/1.1 client on a
// raw unix socket, in the same process and run. Used by scripts/bench.d/transport; not a test.
import Foundation
import HTTPTransport

#if canImport(Glibc)
    import Glibc
#endif

struct Arguments {
    var socket = "/var/run/docker.sock"
    var iterations = 1000
    var warmup = 50
    var paths = ["/_ping", "/containers/json"]
    var smoke = false

    init(_ argv: [String]) throws {
        var it = argv.dropFirst().makeIterator()
        while let arg = it.next() {
            switch arg {
            case "--socket": socket = try value(&it, arg)
            case "--iterations": iterations = try Int(value(&it, arg)).orThrow(arg)
            case "--warmup": warmup = try Int(value(&it, arg)).orThrow(arg)
            case "--path": paths = try value(&it, arg).split(separator: ",").map(String.init)
            case "--smoke": smoke = true
            default: throw BenchError("unknown argument \(arg)")
            }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func value(_ it: inout IndexingIterator<ArraySlice<String>>, _ flag: String) throws -> String {
    guard let v = it.next() else { throw BenchError("\(flag) needs a value") }
    return v
}

extension Optional {
    func orThrow(_ flag: String) throws -> Wrapped {
        guard let self else { throw BenchError("\(flag) needs a number") }
        return self
    }
}

/// A keep-alive HTTP/1.1 client over one POSIX unix socket: the floor any client can reach.
final class RawUnixClient {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket() failed: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw BenchError("socket path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else { close(fd); throw BenchError("connect(\(path)) failed: errno \(errno)") }
    }

    deinit { close(fd) }

    /// Sends a GET and reads the whole response (Content-Length or chunked); returns status and body size.
    func get(_ path: String) throws -> (status: Int, bodyBytes: Int) {
        let request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nUser-Agent: raw-socket\r\n\r\n"
        var sent = 0
        let bytes = Array(request.utf8)
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw BenchError("write failed") }
            sent += n
        }
        let headEnd = try readUntil([13, 10, 13, 10])
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        let lines = head.split(separator: "\r\n")
        let status = lines.first.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        var length: Int?
        var chunked = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased(), value = parts[1].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int(value) }
            if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
        }
        if chunked {
            var total = 0
            while true {
                let lineEnd = try readUntil([13, 10])
                let size = Int(String(decoding: buffer[..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
                buffer.removeFirst(lineEnd + 2)
                try fill(size + 2)
                buffer.removeFirst(size + 2)
                total += size
                if size == 0 { break }
            }
            return (status, total)
        }
        let n = length ?? 0
        try fill(n)
        buffer.removeFirst(n)
        return (status, n)
    }

    private func readMore() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw BenchError("connection closed by the server") }
        buffer.append(contentsOf: chunk[..<n])
    }

    private func fill(_ count: Int) throws {
        while buffer.count < count { try readMore() }
    }

    private func readUntil(_ marker: [UInt8]) throws -> Int {
        var from = 0
        while true {
            if buffer.count >= marker.count {
                for i in from...(buffer.count - marker.count) where buffer[i..<(i + marker.count)].elementsEqual(marker) {
                    return i
                }
                from = buffer.count - marker.count + 1
            }
            try readMore()
        }
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[index]
}

func microseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
}

let arguments: Arguments
do { arguments = try Arguments(CommandLine.arguments) } catch {
    FileHandle.standardError.write(Data("transport-bench: \(error)\n".utf8))
    exit(2)
}

do {
    let transport = try CurlTransport(endpoint: HTTPEndpoint(address: .unixSocket(path: arguments.socket)))
    if arguments.smoke {
        for path in arguments.paths {
            let response = try await transport.send(HTTPRequest(path: path))
            print("\(path) -> \(response.status), \(response.body.count) bytes, headers: \(response.headers.map(\.name))")
        }
        let until = Int(Date().timeIntervalSince1970)
        let events = try await transport.stream(HTTPRequest(path: "/events?since=\(until - 600)&until=\(until)"))
        var lines = 0
        for try await _ in events.body.lines { lines += 1 }
        print("/events (streamed) -> \(events.status), \(lines) lines")
        exit(0)
    }
    let raw = try RawUnixClient(path: arguments.socket)
    let clock = ContinuousClock()
    // Markdown, so that scripts/bench records it in docs/benchmarks.md as it is.
    print("CurlTransport against a raw keep-alive unix socket: \(arguments.iterations) sequential requests per client and path")
    print("(alternating), \(arguments.warmup) warm-up, socket `\(arguments.socket)`.")
    print("")
    print("| path | client p50 µs | raw p50 µs | ratio | client p90 µs | raw p90 µs | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for path in arguments.paths {
        for _ in 0..<arguments.warmup {
            let r = try await transport.send(HTTPRequest(path: path))
            guard r.status == 200 else { throw BenchError("\(path) answered \(r.status) through CurlTransport") }
            _ = try raw.get(path)
        }
        var client: [Double] = [], direct: [Double] = []
        client.reserveCapacity(arguments.iterations)
        direct.reserveCapacity(arguments.iterations)
        // Alternate the two clients so drift on the machine hits both alike.
        for _ in 0..<arguments.iterations {
            let t0 = clock.now
            let r = try await transport.send(HTTPRequest(path: path))
            client.append(microseconds(clock.now - t0))
            let t1 = clock.now
            let (status, _) = try raw.get(path)
            direct.append(microseconds(clock.now - t1))
            guard r.status == 200, status == 200 else { throw BenchError("\(path) answered \(r.status)/\(status)") }
        }
        client.sort()
        direct.sort()
        let c50 = percentile(client, 0.5), r50 = percentile(direct, 0.5)
        let c90 = percentile(client, 0.9), r90 = percentile(direct, 0.9)
        func f(_ x: Double) -> String { String(format: "%.1f", x) }
        func ratio(_ x: Double) -> String { String(format: "%.2fx", x) }
        print("| `\(path)` | \(f(c50)) | \(f(r50)) | \(ratio(c50 / r50)) | \(f(c90)) | \(f(r90)) | \(ratio(c90 / r90)) |")
    }
    print("")
    print("Goal: client p50 within 1.50x of the raw socket.")
} catch {
    FileHandle.standardError.write(Data("transport-bench: \(error)\n".utf8))
    exit(1)
}
