import Foundation
import HTTPTransport
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

extension EngineProxy {
    /// The proxy's HTTP side: every request is decided by `decide` and either refused with 403 and
    /// a JSON `{"message": …}` (the engine's own error shape, so clients report it as an engine
    /// error), or passed on to the engine with its method and target and no body or headers of the
    /// caller's, its answer streamed back as it arrives (`/events` for as long as both ends stay).
    public enum Server {
        /// Answer headers that belong to one hop, or that the server sets itself.
        static let hopByHop: Set<String> = [
            "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade",
            "trailer", "te", "proxy-authenticate", "proxy-authorization", "date",
        ]

        /// Where the proxy listens: an absolute path of a unix socket, `unix://` optional.
        public static func parseListen(_ text: String) throws(ListenError) -> String {
            let path = text.hasPrefix("unix://") ? String(text.dropFirst("unix://".count)) : text
            guard path.hasPrefix("/"), path.count > 1, !path.hasSuffix("/"), path.utf8.count < 108,
                !path.split(separator: "/").contains(where: { $0 == ".." })
            else {
                throw ListenError(text: text)
            }
            return path
        }

        /// Answers one request: refused, or passed on to `engine`.
        public static func respond(to request: Request, engine: any HTTPTransport, policy: Policy, logger: Logger) async -> Response {
            let method = request.method.rawValue
            let target = request.head.path ?? ""
            let decision = decide(method: method, target: target, policy: policy)
            guard case .allow(let endpoint) = decision, let forwarded = UpstreamMethod(rawValue: method) else {
                let reason: Denial = if case .deny(let denial) = decision { denial } else { .notAllowed }
                let path = String(target.prefix { $0 != "?" }.prefix(200))
                logger.warning("refused", metadata: ["method": "\(method.prefix(16))", "path": "\(path)", "reason": "\(reason.rawValue)"])
                return error(
                    .forbidden,
                    "stackpilot engine-proxy refuses \(method.prefix(16)) \(path) (\(reason.rawValue)): only the calls stackpilot supervise makes are allowed")
            }
            logger.debug("passing on", metadata: ["endpoint": "\(endpoint.rawValue)"])
            let upstream: HTTPStreamingResponse
            do {
                upstream = try await engine.stream(UpstreamRequest(method: forwarded, path: target))
            } catch {
                logger.error("the engine does not answer: \(error)")
                return Self.error(.badGateway, "stackpilot engine-proxy: the Docker engine does not answer (\(error))")
            }
            var headers = HTTPFields()
            for field in upstream.headers where !hopByHop.contains(field.name.lowercased()) {
                if let name = HTTPFields.Element.Name(field.name) { headers.append(HTTPFields.Element(name: name, value: field.value)) }
            }
            let body = upstream.body
            return Response(
                status: .init(code: upstream.status), headers: headers,
                body: ResponseBody { writer in
                    for try await chunk in body {
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                    try await writer.finish(nil)
                })
        }

        static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
            struct Message: Encodable { var message: String }
            let data = (try? JSONEncoder().encode(Message(message: message))) ?? Data(#"{"message":"refused"}"#.utf8)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }

        /// The proxy as a swift-service-lifecycle `Service`. The socket is created (a stale one
        /// replaced) at `socketPath` and given `socketMode` once bound: who may connect is decided
        /// by the file's mode and by who can reach its directory.
        public static func makeService(
            engine: any HTTPTransport, socketPath: String, socketMode: mode_t, policy: Policy, logger: Logger,
            onRunning: @escaping @Sendable () async -> Void = {}
        ) -> any Service {
            let responder = CallbackResponder<BasicRequestContext> { request, _ in
                await respond(to: request, engine: engine, policy: policy, logger: logger)
            }
            return Application(
                responder: responder,
                configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: "stackpilot-engine-proxy"),
                onServerRunning: { _ in
                    if chmod(socketPath, socketMode) != 0 {
                        logger.error("cannot set the mode of \(socketPath): \(String(cString: strerror(errno)))")
                    }
                    logger.info("engine proxy listening", metadata: ["socket": "\(socketPath)", "restart": "\(policy.allowRestart)"])
                    await onRunning()
                },
                logger: logger)
        }
    }

    public struct ListenError: Error, Sendable, CustomStringConvertible {
        public var text: String
        public var description: String {
            "--listen \"\(text)\" is not the absolute path of a unix socket (for example unix:///run/stackpilot/engine.sock)"
        }
    }
}
