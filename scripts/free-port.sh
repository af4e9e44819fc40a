# free_port: prints a free loopback port for a private server (bench/private-stack.sh, deploy:smoke).
# The kernel may hand a closed ephemeral port out again, so each port given is written down in
# $FREE_PORTS_FILE and never given twice within one run. Uses $NODE, else the node on the PATH.
free_port() {
  local port
  while :; do
    port=$("${NODE:-node}" -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    grep -qx "$port" "$FREE_PORTS_FILE" 2>/dev/null || { echo "$port" >>"$FREE_PORTS_FILE"; echo "$port"; return; }
  done
}
