using System.Runtime.Versioning;
using System.Text;
using EdgeGuard.Mqtt.Files;

namespace EdgeGuard.Configuration;

// What a key file must be, checked on the file actually opened (CheckedFile: the one safe open,
// shared with the TLS files). The running gateway reads it again on the command handler's one
// thread: a pipe put at the path would block that read forever (every office command stopped), a
// device such as /dev/zero would fill the memory.
public static partial class OperatorKeyFile
{
    private const string Kind = "key file";

    /// <summary>
    /// Opens <paramref name="path"/> without blocking and reads it if it is a key file: a regular
    /// file of at most <see cref="MaxBytes"/>, which neither group nor others may write, owned by
    /// root or the service's user, in a directory that passes the same test. Links are followed,
    /// as for /etc/ssl: the file reached and both the link's directory and the file's are checked.
    /// </summary>
    [SupportedOSPlatform("linux")]
    private static string? ReadChecked(string path, out string text)
    {
        text = string.Empty;
        if (CheckedFile.Open(path, Kind, out var opened) is { } problem)
        {
            return problem;
        }

        using var file = opened!;
        if (file.Status.Size == 0)
        {
            return $"file '{path}' is empty; a key file holds one public key in PEM";
        }

        if (file.Status.Size > MaxBytes)
        {
            return $"file '{path}' is {file.Status.Size} bytes; a public key file is at most {MaxBytes / 1024} KiB";
        }

        // Whoever can write the file can put in their own key and command the site under this
        // operator's name.
        if (file.WritableByGroupOrOthers)
        {
            return $"file '{path}' is writable by group or others (mode {CheckedFile.Octal(file.Status.Mode)}): whoever can write it could put in their own key; 'chmod go-w' it (0644)";
        }

        if (!CheckedFile.Trusted(file.Status.Owner))
        {
            return $"file '{path}' is owned by uid {file.Status.Owner}, neither root nor the service's user: that user could put in their own key; 'chown root' it";
        }

        if (file.DirectoryProblem(Kind) is { } directory)
        {
            return directory;
        }

        try
        {
            text = Encoding.UTF8.GetString(file.ReadBounded(MaxBytes));
        }
        catch (IOException ex)
        {
            throw new IOException(ex.Message + "; a public key file is far smaller", ex);
        }

        return null;
    }
}
