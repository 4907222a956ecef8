using System.Diagnostics;

namespace Timebox.Platform.Unix;

/// <summary>
/// The signals and kills that the runs of one <see cref="EventLoop"/> ask for during a turn of the loop, carried out
/// together at the end of the turn (<see cref="Run"/>): one read of the process list serves every tree (see
/// <see cref="ProcessTree.SignalAll"/> and <see cref="ProcessTree.KillAll"/>). Runs whose deadlines pass together (a wave
/// of jobs hanging on the same broken dependency) used to read the whole list one run at a time, on the one thread that
/// every run waits on, which made a wave's lateness grow with the square of its size (bench/NOTES.md). Loop thread only.
/// </summary>
internal sealed class TerminationBatch
{
    private readonly List<(ProcessTree Tree, int Signal)> _signals = [];
    private readonly List<(ProcessTree Tree, Action<int> OnKilled)> _kills = [];

    /// <summary>Sends <paramref name="signal"/> through <paramref name="tree"/> (<see cref="ProcessTree.Signal"/>) at the end of this turn.</summary>
    public void Signal(ProcessTree tree, int signal) => _signals.Add((tree, signal));

    /// <summary>
    /// Kills <paramref name="tree"/> (<see cref="ProcessTree.Kill"/>) at the end of this turn, then calls
    /// <paramref name="onKilled"/> with how many processes SIGKILL ended.
    /// </summary>
    public void Kill(ProcessTree tree, Action<int> onKilled) => _kills.Add((tree, onKilled));

    /// <summary>
    /// Carries out every request, first signals, then kills, and what their callbacks ask for in turn. A failing
    /// callback is traced, as the loop traces a failing handler, and does not keep the others from running; nor does a
    /// tree that makes the whole batch fail.
    /// </summary>
    public void Run()
    {
        while (_signals.Count > 0 || _kills.Count > 0)
        {
            if (_signals.Count > 0)
            {
                var signals = _signals.ToArray();
                _signals.Clear();
                if (!Attempt(() => ProcessTree.SignalAll(signals)))
                    foreach (var request in signals) EventLoop.Guard(one => ProcessTree.SignalAll([one]), request);
            }
            if (_kills.Count > 0)
            {
                var kills = _kills.ToArray();
                _kills.Clear();
                var forcefullyKilled = new int[kills.Length];
                if (!Attempt(() => forcefullyKilled = ProcessTree.KillAll(kills.Select(kill => kill.Tree).ToArray())))
                {
                    for (var i = 0; i < kills.Length; i++)
                    {
                        var index = i;
                        EventLoop.Guard(() => forcefullyKilled[index] = kills[index].Tree.Kill());
                    }
                }
                for (var i = 0; i < kills.Length; i++) EventLoop.Guard(kills[i].OnKilled, forcefullyKilled[i]);
            }
        }
    }

    // A batch shares one failure domain where each run used to have its own: when one tree makes the batch fail, it is
    // traced and the batch is done again tree by tree, so that the others are still signaled or killed, every kill's
    // callback still comes (a run waiting for it would otherwise never finish), and the loop thread lives on.
    private static bool Attempt(Action batch)
    {
        try
        {
            batch();
            return true;
        }
#pragma warning disable CA1031 // not swallowed: traced, and every tree is then handled on its own
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Trace.TraceError($"Timebox termination batch failed, retried run by run: {exception}");
            return false;
        }
    }

    /// <summary>
    /// Carries out now what is pending for <paramref name="tree"/> alone: its run is about to let go of it (reap its
    /// leader, whose pid is the group id every request signals, and close its pidfds).
    /// </summary>
    public void Flush(ProcessTree tree)
    {
        var signals = _signals.Where(request => request.Tree == tree).ToArray();
        var kills = _kills.Where(request => request.Tree == tree).ToArray();
        if (signals.Length == 0 && kills.Length == 0) return;
        _signals.RemoveAll(request => request.Tree == tree);
        _kills.RemoveAll(request => request.Tree == tree);
        if (signals.Length > 0) ProcessTree.SignalAll(signals);
        foreach (var (_, onKilled) in kills) EventLoop.Guard(onKilled, tree.Kill());
    }
}
