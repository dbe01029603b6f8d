import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The exporter's HTTP endpoint as a swift-service-lifecycle `Service` (a Hummingbird
/// `Application`), so `stackpilot supervise` can run it next to other services (healing,
/// re-provisioning) in one `ServiceGroup`.
///
/// Routes: `GET /metrics` (Prometheus text format 0.0.4; collects on scrape) and `GET /healthz`
/// (JSON `Health`; 200 when the last collection reached the engine, 503 otherwise).
public enum ExporterServer {
    /// Parses `--listen HOST:PORT` (`0.0.0.0:9338`, `127.0.0.1:0`, `[::1]:9338`, or `:9338` for all interfaces).
    public static func parseListen(_ text: String) throws(ListenAddressError) -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":") else { throw ListenAddressError(text: text) }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = Int(portText), (0...65535).contains(port) else { throw ListenAddressError(text: text) }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        return (host, port)
    }

    /// The router with both routes.
    public static func router(exporter: ContainerMetricsExporter) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/metrics") { _, _ in
            let text = await exporter.scrape()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/healthz") { _, _ in
            await exporter.refresh()
            let health = exporter.health
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            let data = (try? encoder.encode(health)) ?? Data("{}".utf8)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: health.status == "ok" ? .ok : .serviceUnavailable, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        return router
    }

    /// The HTTP service. `onRunning` receives the bound port (useful with port 0).
    public static func makeService(
        exporter: ContainerMetricsExporter, host: String, port: Int, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> any Service {
        Application(
            router: router(exporter: exporter),
            configuration: .init(address: .hostname(host, port: port), serverName: "stackpilot-exporter"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                logger.info("exporter listening", metadata: ["host": "\(host)", "port": "\(bound)"])
                await onRunning(bound)
            },
            logger: logger)
    }
}

public struct ListenAddressError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var description: String { "--listen \"\(text)\" is not HOST:PORT (for example 0.0.0.0:9338 or 127.0.0.1:9338)" }
}
