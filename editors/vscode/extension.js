// Starts `crmmap lsp` for the workspace's .map files. Schema and users files
// are watched, so a `crmmap schema pull` is seen without reopening a mapping.
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('crmmap').get('path') || 'crmmap';
  const server = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient('crmmap', 'crmmap', server, {
    documentSelector: [{ scheme: 'file', language: 'crmmap' }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.json') },
  });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
