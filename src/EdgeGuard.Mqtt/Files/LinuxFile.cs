using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace EdgeGuard.Mqtt.Files;

/// <summary>
/// The few Linux calls that reading a secret file safely needs and .NET does not offer: an open
/// that cannot block (a FIFO put at the path opens at once instead of waiting for a writer), and the
/// type, size, mode and owner of what was actually opened (statx, whose layout is the same on
/// x86-64, arm64 and arm32, unlike struct stat). glibc 2.28 or later (Debian Buster and newer).
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class LinuxFile
{
    // Generic Linux values, the same on x86-64, arm64 and arm32.
    private const int ReadOnly = 0;
    private const int NonBlocking = 0x800;
    private const int NoControllingTerminal = 0x100;
    private const int CloseOnExec = 0x80000;
    private const int CurrentDirectory = -100;
    private const int EmptyPath = 0x1000;
    private const uint BasicStats = 0x7ff;
    private const int TypeMask = 0xF000;

    // STATX_INO: the inode number (the device is always reported).
    private const uint InodeNumber = 0x100;

    // STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID | STATX_SIZE: what the checks read.
    private const uint ReportedNeeded = 0x1 | 0x2 | 0x8 | 0x10 | 0x200;

    // EOPNOTSUPP: the file system did not report a field the checks need.
    private const int NotSupported = 95;

    /// <summary>ENOENT: nothing at the path.</summary>
    public const int NoSuchFile = 2;

    /// <summary>ENOTDIR: a part of the path is not a directory.</summary>
    public const int NotADirectory = 20;

    /// <summary>EACCES: a directory on the way cannot be entered, or the file not read.</summary>
    public const int PermissionDenied = 13;

    /// <summary>ENXIO: opening a Unix socket file.</summary>
    public const int NoDevice = 6;

    /// <summary>Which file a path names: its device and inode (statx).</summary>
    /// <param name="DeviceMajor">The major number of the device it is on.</param>
    /// <param name="DeviceMinor">The minor number of the device it is on.</param>
    /// <param name="Inode">Its inode on that device.</param>
    public readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode);

    /// <summary>What a file is, as statx reports it.</summary>
    /// <param name="Kind">Regular file, directory or anything else.</param>
    /// <param name="Mode">The permission bits.</param>
    /// <param name="Owner">The owner's uid.</param>
    /// <param name="Size">Length in bytes (0 for pipes and devices).</param>
    /// <param name="Group">The group's gid.</param>
    public readonly record struct Status(FileKind Kind, UnixFileMode Mode, uint Owner, long Size, uint Group);

    /// <summary>The kinds a secret file check tells apart.</summary>
    public enum FileKind
    {
        /// <summary>A regular file.</summary>
        Regular,

        /// <summary>A directory.</summary>
        Directory,

        /// <summary>A named pipe (FIFO): a plain open waits for a writer, a read for data.</summary>
        Pipe,

        /// <summary>A Unix socket: it cannot be opened at all.</summary>
        Socket,

        /// <summary>A character device (<c>/dev/zero</c>, a terminal): reads may never end.</summary>
        CharacterDevice,

        /// <summary>A block device (a disk): gigabytes long.</summary>
        BlockDevice,

        /// <summary>Anything else (a link is followed, so never one).</summary>
        Other,
    }

    /// <summary>This process's effective uid: the service's user, who may own its own files.</summary>
    public static uint EffectiveUser => GetEffectiveUid();

    /// <summary>
    /// Whether <paramref name="group"/> is this process's effective group or one of its
    /// supplementary groups: the groups the service itself is in, whose members may read what it reads.
    /// </summary>
    public static bool InOwnGroups(uint group)
    {
        if (group == GetEffectiveGid())
        {
            return true;
        }

        var count = GetGroups(0, null);
        if (count <= 0)
        {
            return false;
        }

        var groups = new uint[count];
        count = GetGroups(groups.Length, groups);
        return count > 0 && Array.IndexOf(groups, group, 0, count) >= 0;
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading without blocking and without becoming its
    /// controlling terminal; links are followed. Null and the errno when it cannot be opened.
    /// </summary>
    public static SafeFileHandle? OpenNonBlocking(string path, out int errno)
    {
        var fd = Open(path, ReadOnly | NonBlocking | NoControllingTerminal | CloseOnExec, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>What the open <paramref name="handle"/> is (fstat): never a second look at the path.</summary>
    public static Status? Stat(SafeFileHandle handle, out int errno)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var result = StatX((int)handle.DangerousGetHandle(), string.Empty, EmptyPath, BasicStats, out var buffer);
            errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
            return result < 0 ? null : ToStatus(buffer, ref errno);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>What <paramref name="path"/> is, links followed (for a directory, which is not opened).</summary>
    public static Status? Stat(string path, out int errno)
    {
        var result = StatX(CurrentDirectory, path, 0, BasicStats, out var buffer);
        errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        return result < 0 ? null : ToStatus(buffer, ref errno);
    }

    /// <summary>
    /// Where the open <paramref name="handle"/>'s file really is (through <c>/proc/self/fd</c>):
    /// the directory a link led to. Null when /proc does not say.
    /// </summary>
    public static string? RealPath(SafeFileHandle handle)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The device and inode of <paramref name="path"/>, links followed: equal for two paths of one
    /// file or directory, whatever links or trailing separators tell them apart. Null when it cannot
    /// be read.
    /// </summary>
    public static FileIdentity? Identity(string path)
    {
        var result = StatX(CurrentDirectory, path, 0, InodeNumber, out var buffer);
        return result < 0 || (buffer.Mask & InodeNumber) == 0 ? null : new FileIdentity(buffer.DeviceMajor, buffer.DeviceMinor, buffer.Inode);
    }

    /// <summary>The C library's words for <paramref name="errno"/> ("Permission denied").</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    // A file system may leave fields out of statx's answer; zeroes there would read as "owned by
    // root, mode 0", which passes every check. What was not reported is not trusted.
    private static Status? ToStatus(in StatxBuffer buffer, ref int errno)
    {
        if ((buffer.Mask & ReportedNeeded) != ReportedNeeded)
        {
            errno = NotSupported;
            return null;
        }

        var kind = (buffer.Mode & TypeMask) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Pipe,
            0xC000 => FileKind.Socket,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            _ => FileKind.Other,
        };
        return new Status(kind, (UnixFileMode)(buffer.Mode & 0xFFF), buffer.Uid, (long)buffer.Size, buffer.Gid);
    }

    // struct statx (linux/stat.h): the fields read, at their offsets, in its 256 bytes.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(136)] public uint DeviceMajor;
        [FieldOffset(140)] public uint DeviceMinor;
    }

    // open(2) is variadic; the mode argument is read only with O_CREAT, which is never passed.
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatX(int directory, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    private static partial uint GetEffectiveGid();

    // getgroups(2): with size 0 it returns the count only (the list is not touched).
    [LibraryImport("libc", EntryPoint = "getgroups")]
    private static partial int GetGroups(int size, [Out] uint[]? list);
}
