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
  // The client registers the server's crmmap.showPayload itself; this
  // command gives it the cursor (and a case file's unsaved text, which the
  // server is not sent) and opens the answer beside the editor.
  context.subscriptions.push(vscode.commands.registerCommand('crmmap.showPayloadHere', async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      return;
    }
    const doc = editor.document;
    const arg = {
      textDocument: { uri: doc.uri.toString() },
      position: { line: editor.selection.active.line, character: editor.selection.active.character },
    };
    if (doc.languageId !== 'crmmap') {
      arg.text = doc.getText();
    }
    try {
      const r = await client.sendRequest('workspace/executeCommand',
                                         { command: 'crmmap.showPayload', arguments: [arg] });
      const shown = await vscode.workspace.openTextDocument({ language: 'json', content: r.text });
      await vscode.window.showTextDocument(shown, { viewColumn: vscode.ViewColumn.Beside, preview: true });
      vscode.window.setStatusBarMessage(`crmmap: payload of "${r.case}"`, 5000);
    } catch (e) {
      vscode.window.showErrorMessage(`crmmap: ${e.message}`);
    }
  }));
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
