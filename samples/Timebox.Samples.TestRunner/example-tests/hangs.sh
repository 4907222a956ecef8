# Hangs: prints a little, then waits forever on a server it started (a child that would outlive a plain kill of the shell).
echo "starting the server"
sleep 3600 &
echo "waiting for the server"
wait
