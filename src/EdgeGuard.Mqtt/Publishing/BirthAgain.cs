namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// One connection's repeated births: the retained <c>online</c> published again, with the same
/// session, after the office's rebirth or over a late will of an earlier process. Each publish
/// starts at once, on the caller's thread, so it goes out ahead of anything the caller sends
/// next (the rebirth's state topics); its outcome is the publisher's (a refused birth is a broker
/// fault, a failed link is the pump's to find). Closed before the orderly <c>offline</c>: an
/// <c>online</c> started after it would leave a stopped gateway shown as up. Opened just before the
/// connection's first birth: a late will that comes earlier, between the availability watch's
/// SUBACK and the check for a journal that went back (OutboxPublisher.WentBack.cs), needs no
/// answer, since that birth follows it, and answered it published this process's session before
/// the check could find it lower than the broker's, or ended the check with a birth made.
/// </summary>
/// <param name="publishOnline">Starts one birth publish; false when the broker refused it.</param>
internal sealed class BirthAgain(Func<Task<bool>> publishOnline)
{
    private readonly Lock _gate = new();
    private Task _pending = Task.CompletedTask;
    private bool _opened;
    private bool _closed;

    /// <summary>Births started so far on this connection (after the first).</summary>
    public int Started { get; private set; }

    /// <summary>Lets births start, just before the connection's first (see the class remarks).</summary>
    public void Open()
    {
        lock (_gate)
        {
            _opened = true;
        }
    }

    /// <summary>Starts a birth publish now, unless the first has not been made yet or the connection is closing.</summary>
    public void Publish()
    {
        lock (_gate)
        {
            if (!_opened || _closed)
            {
                return;
            }

            // Started under the lock: a close that follows waits for this publish.
            Started++;
            _pending = SettleAsync(_pending, publishOnline);
        }
    }

    /// <summary>Refuses further births and waits for those started. Never throws.</summary>
    public Task CloseAsync()
    {
        lock (_gate)
        {
            _closed = true;
            return _pending;
        }
    }

    private static async Task SettleAsync(Task previous, Func<Task<bool>> publishOnline)
    {
        Task<bool> publish;
        try
        {
            publish = publishOnline(); // synchronous up to the PUBLISH: the order on the wire
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            publish = Task.FromException<bool>(ex);
        }

        await previous.ConfigureAwait(false);
        try
        {
            await publish.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The link failed or the connection ended: the pump sees that and reconnects, and the
            // next connection starts with a birth anyway.
        }
    }
}
