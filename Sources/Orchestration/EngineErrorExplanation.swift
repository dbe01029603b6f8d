extension Orchestration {
    /// What to do about engine errors the engine words without saying what is missing: the
    /// GPU ones, where the fix is a package on the host, not a change to the stack.
    public enum EngineErrorExplanation {
        /// The advice for an engine error message (as the engine sent it, or wrapped in our
        /// description of it); `nil` when there is nothing to add.
        public static func explain(_ message: String) -> String? {
            let text = message.lowercased()
            if text.contains("could not select device driver") {
                // `--gpus`/`deploy.resources.reservations.devices` with no driver registered for it:
                // the engine registers "nvidia" only when the toolkit's hook is installed.
                return "the NVIDIA container toolkit is not configured on the engine's host: install nvidia-container-toolkit, "
                    + "run `sudo nvidia-ctk runtime configure --runtime=docker`, restart dockerd; or remove the service's GPU request "
                    + "(deploy.resources.reservations.devices, gpus:) to run it without a GPU"
            }
            if text.contains("unknown or invalid runtime name") {
                return "the engine has no such runtime: for `runtime: nvidia` install the NVIDIA container toolkit and run "
                    + "`sudo nvidia-ctk runtime configure --runtime=docker`, then restart dockerd (a GPU request alone does not need the runtime)"
            }
            if text.contains("unresolvable cdi devices") {
                return "the engine has no CDI spec for that device: generate one with `sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`"
            }
            if text.contains("nvidia-container-cli") {
                if text.contains("driver not loaded") || text.contains("driver/library version mismatch") || text.contains("nvml error") {
                    return
                        "the NVIDIA driver does not answer on the engine's host (`nvidia-smi` must work there): install or reload the driver, reboot after an upgrade"
                }
                return
                    "the NVIDIA container toolkit could not set up the GPU: see the message above, and check `nvidia-smi` and `nvidia-container-cli info` on the engine's host"
            }
            return nil
        }

        /// The message with its advice appended, or unchanged.
        public static func annotate(_ message: String) -> String {
            guard let advice = explain(message) else { return message }
            return "\(message); \(advice)"
        }
    }
}
