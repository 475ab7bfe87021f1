/// How a process ended, worded as Go's `os.ProcessState.String()` words it (AWS prints
/// these in `Runtime exited with error: exit status 1`).
public enum ExitReason {
    /// The reason for a `waitpid` status: `exit status 3`, `signal: killed`,
    /// `signal: segmentation fault (core dumped)`.
    public static func describe(waitStatus status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 {
            return "exit status \((status >> 8) & 0xff)"
        }
        if signal != 0x7f {
            let core = status & 0x80 != 0 ? " (core dumped)" : ""
            return "signal: \(signalName(signal))\(core)"
        }
        return "stop signal: \(signalName((status >> 8) & 0xff))"
    }

    /// Go's `syscall.Signal.String()` on Linux.
    public static func signalName(_ signal: Int32) -> String {
        let names = [
            "hangup", "interrupt", "quit", "illegal instruction", "trace/breakpoint trap",
            "aborted", "bus error", "floating point exception", "killed",
            "user defined signal 1", "segmentation fault", "user defined signal 2",
            "broken pipe", "alarm clock", "terminated", "stack fault", "child exited",
            "continued", "stopped (signal)", "stopped", "stopped (tty input)",
            "stopped (tty output)", "urgent I/O condition", "CPU time limit exceeded",
            "file size limit exceeded", "virtual timer expired", "profiling timer expired",
            "window changed", "I/O possible", "power failure", "bad system call",
        ]
        guard signal >= 1, Int(signal) <= names.count else { return "signal \(signal)" }
        return names[Int(signal) - 1]
    }
}
