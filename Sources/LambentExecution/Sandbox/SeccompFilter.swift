/// The seccomp filter every sandboxed process runs under: a classic BPF program (as
/// `bwrap --seccomp` loads it) that refuses the system calls a function never needs and
/// that widen its reach: debugging other processes, mounting, kernel modules and keys,
/// BPF and perf, new namespaces, and the terminal-injection ioctls.
///
/// Denied calls fail with `EPERM`, so runtimes see an ordinary error; `clone3` fails with
/// `ENOSYS`, so libc falls back to `clone`, whose flags the filter can inspect (bubblewrap's
/// advice). A program of another architecture, or the x32 ABI, is refused outright.
public struct SeccompFilter: Sendable {
    /// One classic BPF instruction (`struct sock_filter`).
    public struct Instruction: Sendable, Equatable {
        public var code: UInt16
        public var jt: UInt8
        public var jf: UInt8
        public var k: UInt32
    }

    /// x86_64 system call numbers refused with EPERM.
    public static let deniedX86_64: [(name: String, number: UInt32)] = [
        ("ptrace", 101), ("syslog", 103), ("acct", 163), ("mount", 165), ("umount2", 166),
        ("swapon", 167), ("swapoff", 168), ("reboot", 169), ("sethostname", 170), ("setdomainname", 171),
        ("iopl", 172), ("ioperm", 173), ("init_module", 175), ("delete_module", 176), ("quotactl", 179),
        ("pivot_root", 155), ("vhangup", 153), ("lookup_dcookie", 212), ("kexec_load", 246),
        ("add_key", 248), ("request_key", 249), ("keyctl", 250), ("unshare", 272), ("perf_event_open", 298),
        ("name_to_handle_at", 303), ("open_by_handle_at", 304), ("setns", 308), ("process_vm_readv", 310),
        ("process_vm_writev", 311), ("finit_module", 313), ("kexec_file_load", 320), ("bpf", 321),
        ("userfaultfd", 323), ("open_tree", 428), ("move_mount", 429), ("fsopen", 430), ("fsconfig", 431),
        ("fsmount", 432), ("fspick", 433), ("mount_setattr", 442),
    ]

    /// `clone3`: answered with ENOSYS so that callers fall back to `clone`.
    static let clone3: UInt32 = 435
    static let clone: UInt32 = 56
    static let ioctl: UInt32 = 16
    /// `CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET`.
    static let namespaceFlags: UInt32 = 0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000
    /// `TIOCSTI` and `TIOCLINUX`: pushing input into a terminal.
    static let terminalInjection: [UInt32] = [0x5412, 0x541C]

    public static let auditArchX86_64: UInt32 = 0xC000_003E
    static let x32SyscallBit: UInt32 = 0x4000_0000
    static let eperm: UInt32 = 1
    static let enosys: UInt32 = 38

    // BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
    static let loadWordAbsolute: UInt16 = 0x20
    static let jumpEqual: UInt16 = 0x15
    static let jumpGreaterOrEqual: UInt16 = 0x35
    static let jumpSet: UInt16 = 0x45
    static let returnConstant: UInt16 = 0x06
    static let retAllow: UInt32 = 0x7FFF_0000
    static let retErrno: UInt32 = 0x0005_0000
    static let retKillProcess: UInt32 = 0x8000_0000

    // Offsets in `struct seccomp_data`.
    static let nrOffset: UInt32 = 0
    static let archOffset: UInt32 = 4
    static func argumentLowWord(_ index: UInt32) -> UInt32 { 16 + 8 * index }

    /// The program's instructions.
    public let instructions: [Instruction]

    /// The filter for x86_64.
    public init() {
        var program: [Instruction] = []
        func statement(_ code: UInt16, _ k: UInt32) -> Instruction { Instruction(code: code, jt: 0, jf: 0, k: k) }
        func jump(_ code: UInt16, _ k: UInt32, _ jt: UInt8, _ jf: UInt8) -> Instruction { Instruction(code: code, jt: jt, jf: jf, k: k) }
        let loadNumber = statement(Self.loadWordAbsolute, Self.nrOffset)

        // Another architecture's calling convention would make every number below mean
        // something else: refuse it.
        program.append(statement(Self.loadWordAbsolute, Self.archOffset))
        program.append(jump(Self.jumpEqual, Self.auditArchX86_64, 1, 0))
        program.append(statement(Self.returnConstant, Self.retKillProcess))
        program.append(loadNumber)
        program.append(jump(Self.jumpGreaterOrEqual, Self.x32SyscallBit, 0, 1))
        program.append(statement(Self.returnConstant, Self.retErrno | Self.eperm))

        for (_, number) in Self.deniedX86_64 {
            program.append(jump(Self.jumpEqual, number, 0, 1))
            program.append(statement(Self.returnConstant, Self.retErrno | Self.eperm))
        }
        program.append(jump(Self.jumpEqual, Self.clone3, 0, 1))
        program.append(statement(Self.returnConstant, Self.retErrno | Self.enosys))

        // Calls refused for some arguments only: clone with a namespace flag, and the
        // terminal-injection ioctls.
        program += Self.refuse(syscall: Self.clone, argument: 0, when: (Self.jumpSet, Self.namespaceFlags))
        for request in Self.terminalInjection {
            program += Self.refuse(syscall: Self.ioctl, argument: 1, when: (Self.jumpEqual, request))
        }
        program.append(statement(Self.returnConstant, Self.retAllow))
        instructions = program
    }

    /// `if nr == syscall { if test(argument) { return EPERM } }`, then the number reloaded so
    /// that the checks after it compare system call numbers again.
    static func refuse(syscall: UInt32, argument: UInt32, when test: (code: UInt16, k: UInt32)) -> [Instruction] {
        [
            Instruction(code: jumpEqual, jt: 0, jf: 3, k: syscall),
            Instruction(code: loadWordAbsolute, jt: 0, jf: 0, k: argumentLowWord(argument)),
            Instruction(code: test.code, jt: 0, jf: 1, k: test.k),
            Instruction(code: returnConstant, jt: 0, jf: 0, k: retErrno | eperm),
            Instruction(code: loadWordAbsolute, jt: 0, jf: 0, k: nrOffset),
        ]
    }

    /// The program as the kernel (and bwrap) read it: 8 bytes per instruction, little-endian.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(instructions.count * 8)
        for instruction in instructions {
            bytes.append(UInt8(truncatingIfNeeded: instruction.code))
            bytes.append(UInt8(truncatingIfNeeded: instruction.code >> 8))
            bytes.append(instruction.jt)
            bytes.append(instruction.jf)
            for shift in stride(from: 0, to: 32, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: instruction.k >> UInt32(shift)))
            }
        }
        return bytes
    }

    /// Runs the program over a system call, as the kernel would (for tests): the return value.
    public func evaluate(arch: UInt32 = auditArchX86_64, number: UInt32, arguments: [UInt64] = []) -> UInt32 {
        var accumulator: UInt32 = 0
        var pc = 0
        func word(at offset: UInt32) -> UInt32 {
            switch offset {
            case Self.nrOffset: return number
            case Self.archOffset: return arch
            default:
                let index = Int((offset - 16) / 8)
                return index < arguments.count ? UInt32(truncatingIfNeeded: arguments[index]) : 0
            }
        }
        while pc < instructions.count {
            let instruction = instructions[pc]
            switch instruction.code {
            case Self.loadWordAbsolute: accumulator = word(at: instruction.k)
            case Self.returnConstant: return instruction.k
            case Self.jumpEqual: pc += Int(accumulator == instruction.k ? instruction.jt : instruction.jf)
            case Self.jumpGreaterOrEqual: pc += Int(accumulator >= instruction.k ? instruction.jt : instruction.jf)
            case Self.jumpSet: pc += Int(accumulator & instruction.k != 0 ? instruction.jt : instruction.jf)
            default: return Self.retKillProcess
            }
            pc += 1
        }
        return Self.retKillProcess
    }
}
