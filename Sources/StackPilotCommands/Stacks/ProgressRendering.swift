import ArgumentParser
import DockerEngine
import Foundation
import Orchestration
import Synchronization

/// `--progress`: how `up`/`down`/`restart` report what they do (always on stderr).
enum ProgressMode: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// Bars on a terminal, plain lines otherwise.
    case auto
    /// Per-layer bars redrawn in place (needs a terminal).
    case tty
    /// One line per step, never redrawn.
    case plain
    /// One JSON object per line.
    case json
    /// Nothing but warnings and errors.
    case quiet
}

/// Renders orchestration progress events. Thread-safe: events arrive from many tasks at once.
final class ProgressRenderer: Sendable {
    private struct Layer {
        var id: String
        var status: String
        var current: Int64?
        var total: Int64?
    }

    private struct State {
        /// Pull layers being drawn as bars (tty mode), in order of appearance, per image.
        var layers: [(image: String, layer: Layer)] = []
        var drawnLines = 0
        var lastPlainStatus: [String: String] = [:]
    }

    let mode: ProgressMode
    let style: TerminalStyle
    private let state = Mutex(State())
    private let write: @Sendable (String) -> Void

    init(mode: ProgressMode, style: TerminalStyle = .stderr, write: @escaping @Sendable (String) -> Void = { StandardError.write($0) }) {
        switch mode {
        case .auto: self.mode = style.isTTY ? .tty : .plain
        default: self.mode = mode
        }
        self.style = style
        self.write = write
    }

    /// A handler for one project's executor.
    func handler(project: String) -> @Sendable (Orchestration.ProgressEvent) -> Void {
        { [self] event in self.handle(event, project: project) }
    }

    func handle(_ event: Orchestration.ProgressEvent, project: String) {
        switch mode {
        case .json: json(event, project: project)
        case .quiet:
            if case .warning(let w) = event { line("warning: \(w)") }
        case .tty, .plain, .auto: text(event, project: project)
        }
    }

    /// A message outside the event stream ("up to date", summaries).
    func note(_ message: String, project: String) {
        switch mode {
        case .json: emitJSON(["project": project, "event": "note", "message": message])
        case .quiet: break
        default: line("\(style.bold(project)): \(message)")
        }
    }

    // MARK: text

    private static func noun(_ kind: Orchestration.PlannedAction.Kind) -> String {
        switch kind {
        case .createNetwork: "network"
        case .createVolume: "volume"
        case .pullImage, .buildImage, .pushImage: "image"
        case .createConfig, .removeConfig: "config"
        case .createSecret, .removeSecret: "secret"
        case .createService, .updateService, .removeService: "service"
        default: "container"
        }
    }

    private static func verbs(_ kind: Orchestration.PlannedAction.Kind) -> (doing: String, done: String) {
        switch kind {
        case .createNetwork, .createVolume, .createContainer, .createConfig, .createSecret, .createService: ("creating", "created")
        case .updateService: ("updating", "updated")
        case .pushImage: ("pushing", "pushed")
        case .removeService, .removeConfig, .removeSecret: ("removing", "removed")
        case .recreateContainer: ("recreating", "recreated")
        case .pullImage: ("pulling", "pulled")
        case .buildImage: ("building", "built")
        case .startContainer: ("starting", "started")
        case .restartContainer: ("restarting", "restarted")
        case .removeContainer, .removeOrphan: ("removing", "removed")
        case .upToDate: ("checking", "up to date")
        }
    }

    private func text(_ event: Orchestration.ProgressEvent, project: String) {
        let p = style.bold(project)
        switch event {
        case .action(let a, let status):
            let noun = Self.noun(a.kind)
            let v = Self.verbs(a.kind)
            switch status {
            case .started:
                let reason = a.reason.isEmpty ? "" : style.dim(" (\(a.reason))")
                line("\(p): \(noun) \(a.target): \(v.doing)\(reason)")
            case .done:
                if a.kind == .pullImage { finishPull(a.target) }
                line("\(p): \(noun) \(a.target): \(style.green(v.done))")
            case .failed(let m):
                if a.kind == .pullImage { finishPull(a.target) }
                line("\(p): \(noun) \(a.target): \(style.red("failed")): \(m)")
            }
        case .pull(let image, let progress):
            if mode == .tty { drawPull(image: image, progress) } else { plainPull(image: image, progress, project: p) }
        case .build(let image, let text):
            line("\(p): build \(image) | \(text)")
        case .waiting(let service, let dependency, let condition):
            line("\(p): service \(service): waiting for \(dependency) (\(condition.rawValue))")
        case .ready(let service, let detail):
            line("\(p): service \(service): ready (\(detail))")
        case .warning(let w):
            line("\(p): \(style.yellow("warning")): \(w)")
        case .container(let name, let verb, let status):
            line("\(p): container \(name): \(statusWord(verb, status))")
        case .resource(let kind, let name, let verb, let status):
            line("\(p): \(kind) \(name): \(statusWord(verb, status))")
        }
    }

    private func statusWord(_ verb: String, _ status: Orchestration.ProgressEvent.Status) -> String {
        let (doing, done) =
            verb == "remove"
            ? ("removing", "removed") : verb == "restart" ? ("restarting", "restarted") : verb == "stop" ? ("stopping", "stopped") : (verb + "ing", verb + "ed")
        switch status {
        case .started: return doing
        case .done: return style.green(done)
        case .failed(let m): return "\(style.red("failed")): \(m)"
        }
    }

    private func plainPull(image: String, _ progress: DockerEngine.ProgressMessage, project: String) {
        // Plain output: one line per layer status change, no byte counts.
        let key = "\(image)|\(progress.id ?? "")"
        let status = progress.status ?? ""
        let changed = state.withLock { s -> Bool in
            if s.lastPlainStatus[key] == status { return false }
            s.lastPlainStatus[key] = status
            return true
        }
        guard changed else { return }
        let layer = progress.id.map { "\($0): " } ?? ""
        line("\(project): pull \(image): \(layer)\(status)")
    }

    private func drawPull(image: String, _ progress: DockerEngine.ProgressMessage) {
        guard let id = progress.id, !id.isEmpty, id != image.split(separator: ":").last.map(String.init) else { return }
        let text = state.withLock { s -> String in
            let layer = Layer(id: id, status: progress.status ?? "", current: progress.progressDetail?.current, total: progress.progressDetail?.total)
            if let i = s.layers.firstIndex(where: { $0.image == image && $0.layer.id == id }) {
                s.layers[i].layer = layer
            } else {
                s.layers.append((image, layer))
            }
            return redraw(&s)
        }
        write(text)
    }

    private func finishPull(_ image: String) {
        guard mode == .tty else { return }
        let text = state.withLock { s -> String in
            s.layers.removeAll { $0.image == image }
            return redraw(&s)
        }
        write(text)
    }

    /// Clears the bar block and draws it again; returns the escape sequence text.
    private func redraw(_ s: inout State) -> String {
        var out = s.drawnLines > 0 ? "\u{1B}[\(s.drawnLines)A" : ""
        for (image, layer) in s.layers {
            out += "\u{1B}[2K" + Self.bar(image: image, layer) + "\n"
        }
        let extra = s.drawnLines - s.layers.count
        if extra > 0 {
            for _ in 0..<extra { out += "\u{1B}[2K\n" }
            out += "\u{1B}[\(extra)A"
        }
        s.drawnLines = s.layers.count
        return out
    }

    private static func bar(image: String, _ layer: Layer) -> String {
        let width = 24
        var bar = ""
        if let current = layer.current, let total = layer.total, total > 0 {
            let filled = Int(Double(width) * Double(min(current, total)) / Double(total))
            bar =
                "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "] "
                + "\(current / 1_000_000)/\(total / 1_000_000) MB"
        }
        return "  \(image) \(layer.id) \(layer.status) \(bar)"
    }

    /// Prints a line, keeping the bar block (if any) below it.
    private func line(_ text: String) {
        let out = state.withLock { s -> String in
            guard mode == .tty, s.drawnLines > 0 else { return text + "\n" }
            var out = "\u{1B}[\(s.drawnLines)A"
            out += "\u{1B}[2K" + text + "\n"
            let saved = s.drawnLines
            s.drawnLines = 0
            for _ in 0..<saved { out += "\u{1B}[2K\n" }
            out += "\u{1B}[\(saved)A"
            out += redraw(&s)
            return out
        }
        write(out)
    }

    // MARK: json

    private func json(_ event: Orchestration.ProgressEvent, project: String) {
        var o: [String: String] = ["project": project]
        func status(_ s: Orchestration.ProgressEvent.Status) {
            switch s {
            case .started: o["status"] = "started"
            case .done: o["status"] = "done"
            case .failed(let m):
                o["status"] = "failed"
                o["error"] = m
            }
        }
        switch event {
        case .action(let a, let s):
            o["event"] = "action"
            o["action"] = a.kind.rawValue
            o["target"] = a.target
            if let svc = a.service { o["service"] = svc }
            if !a.reason.isEmpty { o["reason"] = a.reason }
            if !a.changedFields.isEmpty { o["changed"] = a.changedFields.joined(separator: ",") }
            status(s)
        case .pull(let image, let p):
            o["event"] = "pull"
            o["image"] = image
            if let l = p.id { o["layer"] = l }
            o["status"] = p.status ?? ""
            if let c = p.progressDetail?.current { o["current"] = String(c) }
            if let t = p.progressDetail?.total { o["total"] = String(t) }
        case .build(let image, let text):
            o["event"] = "build"
            o["image"] = image
            o["line"] = text
        case .waiting(let service, let dependency, let condition):
            o["event"] = "waiting"
            o["service"] = service
            o["dependency"] = dependency
            o["condition"] = condition.rawValue
        case .ready(let service, let detail):
            o["event"] = "ready"
            o["service"] = service
            o["detail"] = detail
        case .warning(let w):
            o["event"] = "warning"
            o["message"] = w
        case .container(let name, let verb, let s):
            o["event"] = verb
            o["container"] = name
            status(s)
        case .resource(let kind, let name, let verb, let s):
            o["event"] = verb
            o[kind] = name
            status(s)
        }
        emitJSON(o)
    }

    private func emitJSON(_ object: [String: String]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(object) else { return }
        write(String(decoding: data, as: UTF8.self) + "\n")
    }
}
