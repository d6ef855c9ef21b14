#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "exit_cmd.h"
#include "diag.h"
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the forked child: undo the shim's signal state (blocked for the signalfd, SIGPIPE ignored), which execve would keep. */
__attribute__((noreturn)) static void exec_child(const struct strv *argv, int log_fd)
{
	sigset_t none;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (devnull >= 0)
		dup2(devnull, 0);
	if (log_fd >= 0) {
		dup2(log_fd, 1);
		dup2(log_fd, 2);
	}
	execvp(argv->v[0], argv->v);
	diag("exit command %s: execvp: %s", argv->v[0], strerror(errno));
	_exit(127);
}

void exit_cmd_run(const struct strv *argv, int log_fd)
{
	pid_t pid;
	int status;

	if (argv->n == 0)
		return;
	pid = fork();
	if (pid < 0) {
		diag("exit command %s: fork: %s", argv->v[0], strerror(errno));
		return;
	}
	if (pid == 0)
		exec_child(argv, log_fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			diag("exit command %s: waitpid: %s", argv->v[0], strerror(errno));
			return;
		}
	if (WIFSIGNALED(status))
		diag("exit command %s: killed by signal %d", argv->v[0], WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		diag("exit command %s: exited with status %d", argv->v[0], WEXITSTATUS(status));
}
