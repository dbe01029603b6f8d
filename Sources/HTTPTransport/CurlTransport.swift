import CCurl
import CStackPilotShims
import Foundation
import Logging
import Synchronization

/// HTTP over libcurl: unix sockets, plain TCP and TLS.
///
/// Each transport owns one thread that drives a curl multi handle with `curl_multi_poll`; Swift tasks
/// hand it work through a command queue and wait on continuations, so curl never blocks the
/// cooperative pool. Connections stay in the multi handle's cache and are reused across requests;
/// any number of transfers run at once. Dropping the transport lets the thread finish the transfers
/// still running (open streams included) and then exit.
public final class CurlTransport: HTTPTransport {
    /// The `User-Agent` sent when a request does not set one.
    public static let defaultUserAgent = "stackpilot/0.1.0"

    public struct Options: Sendable {
        /// Limit for establishing a connection (including the TLS handshake).
        public var connectTimeout: Duration
        /// Default limit for a whole `send` transfer when the request sets none; `nil` means no limit.
        /// Streams have no default limit (a request's own `timeout` still applies).
        public var timeout: Duration?
        public var userAgent: String
        /// Body bytes a stream buffers for a slow consumer before the transfer is paused.
        public var streamBufferLimit: Int
        /// The largest body `send` collects; a larger answer stops the transfer with a
        /// `.responseTooLarge` error instead of growing memory without bound (streams are unaffected).
        public var maxResponseBody: Int

        /// The default `maxResponseBody`: 64 MiB, far above any answer the clients collect.
        public static let defaultMaxResponseBody = 64 << 20

        public init(
            connectTimeout: Duration = .seconds(10),
            timeout: Duration? = .seconds(120),
            userAgent: String = CurlTransport.defaultUserAgent,
            streamBufferLimit: Int = 1 << 20,
            maxResponseBody: Int = CurlTransport.Options.defaultMaxResponseBody
        ) {
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.userAgent = userAgent
            self.streamBufferLimit = max(1, streamBufferLimit)
            self.maxResponseBody = max(0, maxResponseBody)
        }
    }

    public let endpoint: HTTPEndpoint
    public let options: Options
    private let loop: CurlLoop
    private let baseURL: String
    private let unixSocketPath: String?

    /// - Throws: `CurlError` with kind `.setup` when the endpoint URL is not `http://` or `https://`,
    ///   or libcurl cannot be initialised.
    public init(
        endpoint: HTTPEndpoint,
        options: Options = Options(),
        logger: Logger = Logger(label: "stackpilot.transport")
    ) throws(CurlError) {
        switch endpoint.address {
        case .unixSocket(let path):
            guard !path.isEmpty else {
                throw CurlError(
                    kind: .setup, code: Int(CURLE_URL_MALFORMAT.rawValue),
                    message: "empty unix socket path", endpoint: endpoint.description, request: "")
            }
            unixSocketPath = path
            baseURL = endpoint.tls == nil ? "http://localhost" : "https://localhost"
        case .url(let url):
            let lower = url.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), url.count > 8 else {
                throw CurlError(
                    kind: .setup, code: Int(CURLE_UNSUPPORTED_PROTOCOL.rawValue),
                    message: "the URL must start with http:// or https://",
                    endpoint: endpoint.description, request: "")
            }
            unixSocketPath = nil
            baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        guard let multi = MultiHandle() else {
            throw CurlError(
                kind: .setup, code: Int(CURLE_FAILED_INIT.rawValue),
                message: "libcurl could not be initialised", endpoint: endpoint.description, request: "")
        }
        self.endpoint = endpoint
        self.options = options
        self.loop = CurlLoop(multi: multi, logger: logger)
        loop.start()
    }

    deinit { loop.shutdownWhenIdle() }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Task.checkCancellation()
        let prepared = prepare(request, defaultTimeout: options.timeout)
        let shared = TransferShared(id: loop.makeID(), mode: .collect, bufferLimit: options.streamBufferLimit)
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                guard shared.install(response: continuation) else { return }
                loop.enqueue(.add(prepared, shared))
            }
        } onCancel: {
            shared.cancel()
            loop.enqueue(.cancel(shared.id))
        }
    }

    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        try Task.checkCancellation()
        let prepared = prepare(request, defaultTimeout: nil)
        let shared = TransferShared(id: loop.makeID(), mode: .stream, bufferLimit: options.streamBufferLimit)
        let loop = self.loop
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ResponseHead, any Error>) in
                guard shared.install(head: continuation) else { return }
                loop.enqueue(.add(prepared, shared))
            }
        } onCancel: {
            shared.cancel()
            loop.enqueue(.cancel(shared.id))
        }
        let reader = StreamReader(shared: shared, loop: loop)
        let body = AsyncThrowingStream<Data, any Error>(unfolding: { try await reader.next() })
        return HTTPStreamingResponse(status: head.status, headers: head.headers, body: body)
    }

    private func prepare(_ request: HTTPRequest, defaultTimeout: Duration?) -> PreparedRequest {
        let path = request.path.hasPrefix("/") ? request.path : "/" + request.path
        var headers = request.headers
        if !headers.contains(where: { $0.name.caseInsensitiveCompare("User-Agent") == .orderedSame }) {
            headers.append((name: "User-Agent", value: options.userAgent))
        }
        return PreparedRequest(
            url: baseURL + path,
            unixSocketPath: unixSocketPath,
            tls: endpoint.tls,
            method: request.method,
            headers: headers.map { HeaderField(name: $0.name, value: $0.value) },
            body: request.body,
            bodyStream: request.bodyStream,
            maxResponseBody: options.maxResponseBody,
            connectTimeoutMS: milliseconds(options.connectTimeout),
            timeoutMS: (request.timeout ?? defaultTimeout).map(milliseconds) ?? 0,
            endpointDescription: endpoint.description,
            requestDescription: "\(request.method.rawValue) \(path)"
        )
    }
}

private func milliseconds(_ duration: Duration) -> Int {
    let (seconds, attoseconds) = duration.components
    let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    // 0 means "no limit" to libcurl, so a positive duration never rounds down to it.
    return duration > .zero ? max(1, Int(ms)) : 0
}

struct HeaderField: Sendable {
    var name: String
    var value: String
}

/// Everything the curl thread needs to build the easy handle; plain Sendable values.
struct PreparedRequest: Sendable {
    var url: String
    var unixSocketPath: String?
    var tls: HTTPEndpoint.TLS?
    var method: HTTPMethod
    var headers: [HeaderField]
    var body: Data?
    var bodyStream: HTTPBodyStream?
    /// For collected answers.
    var maxResponseBody: Int
    var connectTimeoutMS: Int
    /// 0: no limit.
    var timeoutMS: Int
    var endpointDescription: String
    var requestDescription: String
}

struct ResponseHead: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
}

/// The state a transfer shares between the curl thread and the Swift tasks waiting on it.
/// Every continuation is taken out under the lock before it is resumed, so each resumes once.
final class TransferShared: Sendable {
    enum Mode: Sendable { case collect, stream }

    struct State: Sendable {
        var cancelled = false
        var response: CheckedContinuation<HTTPResponse, any Error>?
        var head: CheckedContinuation<ResponseHead, any Error>?
        var headDelivered = false
        var chunks: [Data] = []
        var firstChunk = 0
        var buffered = 0
        var paused = false
        var finished: Result<Void, any Error>?
        var bodyWaiter: CheckedContinuation<Data?, any Error>?
    }

    let id: UInt64
    let mode: Mode
    let bufferLimit: Int
    let state = Mutex(State())

    init(id: UInt64, mode: Mode, bufferLimit: Int) {
        self.id = id
        self.mode = mode
        self.bufferLimit = bufferLimit
    }

    /// Stores the continuation; false (after resuming it with `CancellationError`) when already cancelled.
    func install(response continuation: CheckedContinuation<HTTPResponse, any Error>) -> Bool {
        let cancelled = state.withLock { s in
            if s.cancelled { return true }
            s.response = continuation
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    func install(head continuation: CheckedContinuation<ResponseHead, any Error>) -> Bool {
        let cancelled = state.withLock { s in
            if s.cancelled { return true }
            s.head = continuation
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Marks the transfer cancelled and fails whoever waits on it.
    func cancel() {
        let (response, head, waiter) = state.withLock { s in
            s.cancelled = true
            s.chunks.removeAll()
            s.firstChunk = 0
            s.buffered = 0
            defer { s.response = nil; s.head = nil; s.bodyWaiter = nil }
            return (s.response, s.head, s.bodyWaiter)
        }
        response?.resume(throwing: CancellationError())
        head?.resume(throwing: CancellationError())
        waiter?.resume(throwing: CancellationError())
    }

    // MARK: curl thread

    func deliverHead(_ head: ResponseHead) {
        let continuation = state.withLock { s in
            s.headDelivered = true
            defer { s.head = nil }
            return s.head
        }
        continuation?.resume(returning: head)
    }

    enum Offer { case accepted, pause, abort }

    /// A body chunk from the curl thread (stream mode).
    func offer(_ data: Data) -> Offer {
        let (offer, waiter): (Offer, CheckedContinuation<Data?, any Error>?) = state.withLock { s in
            if s.cancelled { return (.abort, nil) }
            if let waiter = s.bodyWaiter {
                // A waiting consumer means the buffer is empty: hand the chunk over directly.
                s.bodyWaiter = nil
                return (.accepted, waiter)
            }
            if s.buffered >= bufferLimit {
                s.paused = true
                return (.pause, nil)
            }
            s.chunks.append(data)
            s.buffered += data.count
            return (.accepted, nil)
        }
        waiter?.resume(returning: data)
        return offer
    }

    /// The transfer ended (stream mode): wake the head waiter or the body waiter.
    func finish(_ result: Result<ResponseHead, any Error>) {
        let (head, waiter) = state.withLock { s in
            switch result {
            case .success: s.finished = .success(())
            case .failure(let error): s.finished = .failure(error)
            }
            defer { s.head = nil; s.bodyWaiter = nil }
            return (s.head, s.bodyWaiter)
        }
        head?.resume(with: result)
        switch result {
        case .success: waiter?.resume(returning: nil)
        case .failure(let error): waiter?.resume(throwing: error)
        }
    }

    /// The transfer ended (collect mode).
    func complete(_ result: Result<HTTPResponse, any Error>) {
        let continuation = state.withLock { s in
            defer { s.response = nil }
            return s.response
        }
        continuation?.resume(with: result)
    }

    // MARK: consumer

    enum Next {
        case chunk(Data, unpause: Bool)
        case end(Result<Void, any Error>)
        case cancelled
        case wait
    }

    func take(orWait continuation: CheckedContinuation<Data?, any Error>) -> Next {
        state.withLock { s in
            if s.cancelled { return .cancelled }
            if s.firstChunk < s.chunks.count {
                let chunk = s.chunks[s.firstChunk]
                s.chunks[s.firstChunk] = Data()
                s.firstChunk += 1
                if s.firstChunk == s.chunks.count {
                    s.chunks.removeAll(keepingCapacity: true)
                    s.firstChunk = 0
                }
                s.buffered -= chunk.count
                var unpause = false
                if s.paused, s.buffered <= bufferLimit / 2 {
                    s.paused = false
                    unpause = true
                }
                return .chunk(chunk, unpause: unpause)
            }
            if let finished = s.finished { return .end(finished) }
            s.bodyWaiter = continuation
            return .wait
        }
    }
}

/// The consumer side of a streamed body. Dropping it (with the stream that holds it) aborts the transfer.
final class StreamReader: Sendable {
    let shared: TransferShared
    let loop: CurlLoop

    init(shared: TransferShared, loop: CurlLoop) {
        self.shared = shared
        self.loop = loop
    }

    deinit {
        let unfinished = shared.state.withLock { $0.finished == nil && !$0.cancelled }
        if unfinished {
            shared.cancel()
            loop.enqueue(.cancel(shared.id))
        }
    }

    func next() async throws -> Data? {
        if Task.isCancelled {
            abort()
            throw CancellationError()
        }
        let shared = self.shared
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data?, any Error>) in
                switch shared.take(orWait: continuation) {
                case .chunk(let data, let unpause):
                    if unpause { loop.enqueue(.unpause(shared.id)) }
                    continuation.resume(returning: data)
                case .end(.success):
                    continuation.resume(returning: nil)
                case .end(.failure(let error)):
                    continuation.resume(throwing: error)
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .wait:
                    break
                }
            }
        } onCancel: {
            shared.cancel()
            loop.enqueue(.cancel(shared.id))
        }
    }

    private func abort() {
        shared.cancel()
        loop.enqueue(.cancel(shared.id))
    }
}

/// The thread that drives the multi handle, and the command queue other threads use to reach it.
final class CurlLoop: Sendable {
    enum Command: Sendable {
        case add(PreparedRequest, TransferShared)
        case cancel(UInt64)
        case unpause(UInt64)
        case shutdown
    }

    private struct Queue: Sendable {
        var commands: [Command] = []
        var exited = false
    }

    private let multi: MultiHandle
    private let queue = Mutex(Queue())
    private let ids = Atomic<UInt64>(0)
    let logger: Logger

    init(multi: MultiHandle, logger: Logger) {
        self.multi = multi
        self.logger = logger
    }

    func makeID() -> UInt64 { ids.add(1, ordering: .relaxed).newValue }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "stackpilot-curl"
        thread.start()
    }

    func enqueue(_ command: Command) {
        let accepted = queue.withLock { q in
            if q.exited { return false }
            q.commands.append(command)
            return true
        }
        if accepted {
            multi.wakeup()
        } else if case .add(let prepared, let shared) = command {
            let error = CurlError(
                kind: .setup, code: Int(CURLE_FAILED_INIT.rawValue),
                message: "the transport was shut down", endpoint: prepared.endpointDescription,
                request: prepared.requestDescription)
            fail(shared, error)
        }
    }

    func shutdownWhenIdle() { enqueue(.shutdown) }

    private func fail(_ shared: TransferShared, _ error: any Error) {
        switch shared.mode {
        case .collect: shared.complete(.failure(error))
        case .stream: shared.finish(.failure(error))
        }
    }

    // MARK: the curl thread

    private func run() {
        var active: [UInt64: Transfer] = [:]
        var byHandle: [UnsafeMutableRawPointer: UInt64] = [:]
        var shuttingDown = false
        // Finished easy handles, reset and kept for the next transfers: curl_easy_init allocates
        // its buffers anew each time, which shows in the latency of small requests.
        var idle: [EasyHandle] = []

        func recycle(_ easy: EasyHandle) {
            guard idle.count < 16 else { return }
            curl_easy_reset(easy.raw)
            idle.append(easy)
        }

        func remove(_ id: UInt64) -> Transfer? {
            guard let transfer = active.removeValue(forKey: id) else { return nil }
            byHandle.removeValue(forKey: transfer.easy.raw)
            curl_multi_remove_handle(multi.raw, transfer.easy.raw)
            return transfer
        }

        while true {
            let commands = queue.withLock { q in
                defer { q.commands.removeAll(keepingCapacity: true) }
                return q.commands
            }
            for command in commands {
                switch command {
                case .add(let prepared, let shared):
                    if shared.isCancelled { continue }
                    do {
                        let transfer = try Transfer(prepared: prepared, shared: shared, easy: idle.popLast())
                        let code = curl_multi_add_handle(multi.raw, transfer.easy.raw)
                        guard code == CURLM_OK else {
                            recycle(transfer.easy)
                            throw CurlError(
                                kind: .setup, code: Int(code.rawValue),
                                message: String(cString: curl_multi_strerror(code)),
                                endpoint: prepared.endpointDescription,
                                request: prepared.requestDescription)
                        }
                        active[shared.id] = transfer
                        byHandle[transfer.easy.raw] = shared.id
                    } catch {
                        fail(shared, error)
                    }
                case .cancel(let id):
                    if let transfer = remove(id) {
                        transfer.finish(cancelled: true, code: CURLE_ABORTED_BY_CALLBACK, logger: logger)
                        recycle(transfer.easy)
                    }
                case .unpause(let id):
                    if let transfer = active[id] {
                        curl_easy_pause(transfer.easy.raw, CURLPAUSE_CONT)
                    }
                case .shutdown:
                    shuttingDown = true
                }
            }
            if shuttingDown, active.isEmpty {
                let leftover = queue.withLock { q in
                    q.exited = true
                    defer { q.commands.removeAll() }
                    return q.commands
                }
                for case .add(let prepared, let shared) in leftover {
                    fail(
                        shared,
                        CurlError(
                            kind: .setup, code: Int(CURLE_FAILED_INIT.rawValue),
                            message: "the transport was shut down",
                            endpoint: prepared.endpointDescription,
                            request: prepared.requestDescription))
                }
                return
            }

            var running: Int32 = 0
            let performCode = curl_multi_perform(multi.raw, &running)
            if performCode != CURLM_OK {
                logger.error("curl_multi_perform failed", metadata: ["error": "\(String(cString: curl_multi_strerror(performCode)))"])
            }
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi.raw, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                guard let id = byHandle[easy], let transfer = remove(id) else { continue }
                transfer.finish(cancelled: false, code: code, logger: logger)
                recycle(transfer.easy)
            }
            if shuttingDown, active.isEmpty { continue }
            _ = curl_multi_poll(multi.raw, nil, 0, 1000, nil)
        }
    }
}

/// One transfer on the curl thread: the easy handle, its header list and error buffer, and what
/// has arrived so far. Only the curl thread touches it.
final class Transfer {
    let prepared: PreparedRequest
    let shared: TransferShared
    let easy: EasyHandle
    private let headerList = StringList()
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var status = 0
    private var headers: [(name: String, value: String)] = []
    private var headersComplete = false
    private var body = Data()
    private let started = ContinuousClock.now
    /// The producer of a streamed request body, and why it failed when it did.
    private var bodyReader: (any HTTPBodyReader)?
    private var bodyReadError: (any Error)?
    /// Set when a collected answer outgrew `maxResponseBody`.
    private var responseTooLarge = false

    init(prepared: PreparedRequest, shared: TransferShared, easy reused: EasyHandle?) throws(CurlError) {
        guard let easy = reused ?? EasyHandle() else {
            throw CurlError(
                kind: .setup, code: Int(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed",
                endpoint: prepared.endpointDescription, request: prepared.requestDescription)
        }
        self.prepared = prepared
        self.shared = shared
        self.easy = easy
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try configure()
    }

    deinit { errorBuffer.deallocate() }

    private func check(_ code: CURLcode, _ what: String) throws(CurlError) {
        guard code == CURLE_OK else {
            throw CurlError(
                code: code, detail: "while setting \(what)", endpoint: prepared.endpointDescription,
                request: prepared.requestDescription)
        }
    }

    private func configure() throws(CurlError) {
        let p = prepared
        try check(easy.set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer)), "the error buffer")
        try check(easy.set(CURLOPT_URL, p.url), "the URL")
        try check(easy.set(CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        try check(easy.set(CURLOPT_CONNECTTIMEOUT_MS, p.connectTimeoutMS), "the connect timeout")
        try check(easy.set(CURLOPT_TIMEOUT_MS, p.timeoutMS), "the timeout")
        try check(easy.set(CURLOPT_TCP_KEEPALIVE, 1), "TCP keep-alive")
        if let socket = p.unixSocketPath {
            try check(easy.set(CURLOPT_UNIX_SOCKET_PATH, socket), "the unix socket path")
            // A proxy from the environment must never capture traffic meant for a local socket.
            try check(easy.set(CURLOPT_PROXY, ""), "the proxy")
        }
        if let tls = p.tls {
            if let ca = tls.caFile { try check(easy.set(CURLOPT_CAINFO, ca), "the CA file") }
            if let cert = tls.certificateFile { try check(easy.set(CURLOPT_SSLCERT, cert), "the client certificate") }
            if let key = tls.keyFile { try check(easy.set(CURLOPT_SSLKEY, key), "the client key") }
            try check(easy.set(CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0), "peer verification")
            try check(easy.set(CURLOPT_SSL_VERIFYHOST, tls.verifyPeer ? 2 : 0), "host verification")
        }

        let hasBody = p.body != nil || p.bodyStream != nil || [.post, .put, .patch].contains(p.method)
        switch p.method {
        case .head: try check(easy.set(CURLOPT_NOBODY, 1), "HEAD")
        case .get where !hasBody: try check(easy.set(CURLOPT_HTTPGET, 1), "GET")
        default: try check(easy.set(CURLOPT_CUSTOMREQUEST, p.method.rawValue), "the method")
        }
        var chunked = false
        if let stream = p.bodyStream, p.method != .head {
            do {
                bodyReader = try stream.open()
            } catch {
                throw CurlError(
                    kind: .requestBody, code: Int(CURLE_READ_ERROR.rawValue), message: "\(error)",
                    endpoint: p.endpointDescription, request: p.requestDescription)
            }
            // POST mechanics with the caller's method; libcurl pulls the bytes through the read callback.
            try check(easy.set(CURLOPT_POST, 1), "POST")
            try check(sp_curl_easy_setopt_off_t(easy.raw, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(stream.length ?? -1)), "the body size")
            chunked = stream.length == nil
            // A body read once cannot be replayed: never start it on a cached connection that may
            // turn out dead (libcurl would have to rewind it to retry on a fresh one).
            try check(easy.set(CURLOPT_FRESH_CONNECT, 1), "a fresh connection")
            try check(
                sp_curl_easy_setopt_read_callback(easy.raw) { data, size, count, user in
                    guard let user else { return Int(CURL_READFUNC_ABORT) }
                    let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
                    return transfer.sendBody(UnsafeMutableRawBufferPointer(start: data, count: size * count))
                }, "the read callback")
            try check(easy.set(CURLOPT_READDATA, pointer: Unmanaged.passUnretained(self).toOpaque()), "the read data")
        } else if hasBody, p.method != .head {
            let body = p.body ?? Data()
            try check(sp_curl_easy_setopt_off_t(easy.raw, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "the body size")
            let code = body.withUnsafeBytes { bytes -> CURLcode in
                // COPYPOSTFIELDS copies the bytes now; an empty body still needs a valid pointer.
                var empty: UInt8 = 0
                if let base = bytes.baseAddress, bytes.count > 0 {
                    return sp_curl_easy_setopt_pointer(easy.raw, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base))
                }
                return withUnsafeMutablePointer(to: &empty) {
                    sp_curl_easy_setopt_pointer(easy.raw, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer($0))
                }
            }
            try check(code, "the body")
        }

        for header in p.headers {
            // "Name;" is libcurl's way to send a header with an empty value.
            let line = header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
            guard headerList.append(line) else {
                throw CurlError(code: CURLE_OUT_OF_MEMORY, detail: nil, endpoint: p.endpointDescription, request: p.requestDescription)
            }
        }
        // Never wait for `100 Continue`; and never let libcurl invent a form Content-Type.
        _ = headerList.append("Expect:")
        if chunked { _ = headerList.append("Transfer-Encoding: chunked") }
        if hasBody, !p.headers.contains(where: { $0.name.caseInsensitiveCompare("Content-Type") == .orderedSame }) {
            _ = headerList.append("Content-Type:")
        }
        try check(sp_curl_easy_setopt_slist(easy.raw, CURLOPT_HTTPHEADER, headerList.raw), "the headers")

        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(
            sp_curl_easy_setopt_header_callback(easy.raw) { data, size, count, user in
                let length = size * count
                guard let user else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
                transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
                return length
            }, "the header callback")
        try check(easy.set(CURLOPT_HEADERDATA, pointer: me), "the header data")
        try check(
            sp_curl_easy_setopt_write_callback(easy.raw) { data, size, count, user in
                let length = size * count
                guard let user else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
                return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length))
            }, "the write callback")
        try check(easy.set(CURLOPT_WRITEDATA, pointer: me), "the write data")
    }

    /// Parses one header line on bytes (Foundation's trimming is slow, and in a Swift String
    /// "\r\n" is a single Character that hasSuffix("\n") misses).
    private func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        func isSpace(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 }
        func text(_ from: Int, _ to: Int) -> String {
            var lower = from, upper = to
            while lower < upper, isSpace(bytes[lower]) { lower += 1 }
            while upper > lower, isSpace(bytes[upper - 1]) { upper -= 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[lower..<upper]), as: UTF8.self)
        }
        var end = bytes.count
        while end > 0, bytes[end - 1] == 10 || bytes[end - 1] == 13 { end -= 1 }
        if end >= 5, bytes[0] == 72, bytes[1] == 84, bytes[2] == 84, bytes[3] == 80, bytes[4] == 47 {  // "HTTP/"
            // A new status line: an interim (1xx) answer ended, or this is the first one.
            let parts = text(0, end).split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = []
            headersComplete = false
            return
        }
        if headersComplete { return }  // trailers of a chunked body
        if end == 0 {
            if (100..<200).contains(status), status != 101 { return }  // wait for the final answer
            headersComplete = true
            if shared.mode == .stream { shared.deliverHead(ResponseHead(status: status, headers: headers)) }
            return
        }
        if isSpace(bytes[0]) {
            // An obsolete folded continuation of the previous header's value.
            if !headers.isEmpty { headers[headers.count - 1].value += " " + text(0, end) }
            return
        }
        guard let colon = bytes[..<end].firstIndex(of: 58) else { return }  // ":"
        headers.append((name: text(0, colon), value: text(colon + 1, end)))
    }

    /// The read callback of a streamed request body: the reader's next bytes, 0 at the end.
    private func sendBody(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let reader = bodyReader, !shared.isCancelled else { return Int(CURL_READFUNC_ABORT) }
        do {
            let count = try reader.read(into: buffer)
            return min(max(count, 0), buffer.count)
        } catch {
            bodyReadError = error
            return Int(CURL_READFUNC_ABORT)
        }
    }

    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        switch shared.mode {
        case .collect:
            if shared.isCancelled { return 0 }
            if body.count + bytes.count > prepared.maxResponseBody {
                responseTooLarge = true
                return 0  // stops the transfer (CURLE_WRITE_ERROR), reported as .responseTooLarge
            }
            body.append(contentsOf: bytes)
            return bytes.count
        case .stream:
            switch shared.offer(Data(bytes)) {
            case .accepted: return bytes.count
            case .pause: return Int(CURL_WRITEFUNC_PAUSE)
            case .abort: return 0
            }
        }
    }

    /// Reports the end of the transfer to whoever waits. Called once, after the handle left the multi.
    func finish(cancelled: Bool, code: CURLcode, logger: Logger) {
        let elapsed = ContinuousClock.now - started
        let result: Result<ResponseHead, any Error>
        if cancelled || shared.isCancelled {
            result = .failure(CancellationError())
        } else if responseTooLarge {
            let limit = prepared.maxResponseBody
            let size = limit >= 1 << 20 ? "\(limit >> 20) MiB" : "\(limit) bytes"
            result = .failure(
                CurlError(
                    kind: .responseTooLarge, code: Int(code.rawValue),
                    message: "the answer is larger than the \(size) a collected body may take; stopped reading it",
                    endpoint: prepared.endpointDescription, request: prepared.requestDescription))
        } else if let bodyReadError {
            result = .failure(
                CurlError(
                    kind: .requestBody, code: Int(code.rawValue), message: "\(bodyReadError)",
                    endpoint: prepared.endpointDescription, request: prepared.requestDescription))
        } else if code == CURLE_OK {
            result = .success(ResponseHead(status: status, headers: headers))
        } else {
            let detail = String(cString: errorBuffer)
            result = .failure(
                CurlError(
                    code: code, detail: detail, endpoint: prepared.endpointDescription,
                    request: prepared.requestDescription))
        }
        switch result {
        case .success(let head):
            logger.debug(
                "\(prepared.requestDescription) -> \(head.status)",
                metadata: [
                    "endpoint": "\(prepared.endpointDescription)",
                    "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
                ])
        case .failure(let error):
            logger.debug("\(prepared.requestDescription) failed", metadata: ["error": "\(error)"])
        }
        switch shared.mode {
        case .collect:
            shared.complete(result.map { HTTPResponse(status: $0.status, headers: $0.headers, body: body) })
        case .stream:
            shared.finish(result)
        }
    }
}
