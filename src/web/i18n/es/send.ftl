# La página de envío.
send-title = Enviar un mensaje
send-to = Para
send-to-hint = Un número por línea o separados por comas. Los números sin prefijo de país se leen como números de { $region }.
send-numbers-ok = { $count ->
    [0] Todavía no hay números.
    [one] 1 número listo.
   *[other] { $count } números listos.
}
send-numbers-repeated = { $count ->
    [one] 1 número aparece dos veces y recibirá un solo mensaje.
   *[other] { $count } números aparecen dos veces y recibirán un solo mensaje cada uno.
}
send-numbers-bad = { $count ->
    [one] 1 entrada no es un número de teléfono:
   *[other] { $count } entradas no son números de teléfono:
}
send-numbers-line = Línea { $line }
send-number-empty = no hay nada escrito
send-number-character = «{ $character }» (carácter { $position }) no puede ir en un número de teléfono
send-number-unreadable = no es un número de teléfono (muy corto, muy largo o sin país)
send-number-not-valid = no es un número válido; sin prefijo de país se lee como número de { $region }
send-text = Mensaje
send-counter-empty = Escriba el mensaje para ver su longitud y su coste.
send-counter-characters = Caracteres
send-counter-encoding = Codificación
send-encoding-national = GSM-7 con la tabla nacional «{ $table }»
send-counter-segments = SMS por destinatario
send-counter-cost = { $count ->
    [one] Coste
   *[other] Coste para { $count } destinatarios
}
send-counter-gsm-limit = GSM-7: caben 160 caracteres en un SMS; los textos más largos van en partes de 153.
send-counter-ucs2-limit = UCS-2: caben 70 caracteres en un SMS; los textos más largos van en partes de 67.
send-counter-normalized = Las comillas y rayas tipográficas se sustituyen al enviar.
send-forcing-intro = { $count ->
    [one] Este carácter hace que el mensaje vaya en UCS-2, con menos caracteres por SMS:
   *[other] Estos caracteres hacen que el mensaje vaya en UCS-2, con menos caracteres por SMS:
}
send-forcing-none = sin equivalente simple
send-forcing-suggest = Con caracteres simples ocupa { $segments } SMS en lugar de { $now }.
send-forcing-fix = Sustituirlos
send-forcing-keep = Estas letras no existen en GSM-7; para este texto UCS-2 es lo correcto.
send-options = Opciones
send-at = Enviar el (opcional)
send-at-hint = Déjelo vacío para enviar ahora. La hora es la de su zona horaria ({ $zone }).
send-category = Tipo de mensaje
send-category-transactional = De servicio (pedidos, recordatorios, códigos)
send-category-marketing = Publicidad (necesita el consentimiento del contacto)
send-category-hint = La publicidad solo llega a los contactos que la aceptaron.
send-report = Pedir confirmación de entrega
send-submit = Enviar
send-not-sent = No se envió nada.
send-error-no-numbers = Añada al menos un número de teléfono.
send-error-bad-numbers = { $count ->
    [one] Corrija o quite la entrada que no es un número de teléfono.
   *[other] Corrija o quite las { $count } entradas que no son números de teléfono.
}
send-error-too-many = { $count } números son más de { $max } de una vez. Para un público grande, use una campaña.
send-error-past = Esa hora ya pasó. Elija una hora posterior o déjela vacía para enviar ahora.
send-error-time = No se entiende la hora de envío. Elija una fecha y una hora.
send-error-empty_text = Escriba el mensaje.
send-error-invalid_text = El mensaje tiene un carácter de control invisible (¿pegado de otro sitio?). Quítelo e inténtelo de nuevo.
send-error-too_long = El mensaje es demasiado largo: ocuparía más de 255 SMS.
send-error-invalid_number = No es un número al que se pueda enviar.
send-error-no_consent = No enviado: la publicidad necesita el consentimiento del contacto.
send-error-no-key = Este formulario no lo creó esta página (o está desactualizado): revise los números y el texto y pulse Enviar de nuevo.
send-error-category = Elija si es un mensaje de servicio o publicidad.
send-error-opted_out = No enviado: este número se dio de baja (respondió STOP o se añadió a las bajas). Solo puede recibir la confirmación de la baja.
send-error-no_contact = No enviado: este número no está entre sus contactos, y la publicidad solo va a contactos que la aceptaron.
send-error-consent_pending = No enviado: este contacto aún no ha respondido SÍ a la solicitud de consentimiento.
send-error-idempotency_conflict = Este formulario ya se usó para enviar otro texto. Abra un formulario nuevo.
send-result-title = Mensaje enviado
send-result-accepted = { $count ->
    [0] No se aceptó ningún mensaje.
    [one] 1 mensaje aceptado.
   *[other] { $count } mensajes aceptados.
}
send-result-suppressed = { $count ->
    [one] 1 de ellos no se enviará: el número se dio de baja.
   *[other] { $count } de ellos no se enviarán: los números se dieron de baja.
}
send-result-refused = { $count ->
    [one] 1 número fue rechazado.
   *[other] { $count } números fueron rechazados.
}
send-result-scheduled = Se enviarán el { $when }.
send-result-repeated = Este formulario ya se había enviado: no se envió nada dos veces.
send-result-caption = Cada mensaje y cómo va ahora.
send-col-to = Para
send-col-status = Estado
send-col-message = Mensaje
send-result-already = (enviado antes)
send-result-not-accepted = no aceptado
send-result-open = Mensaje n.º { $id }
send-result-more = { $count ->
    [one] 1 mensaje más está en la página Mensajes.
   *[other] { $count } mensajes más están en la página Mensajes.
}
send-their-time = su hora: { $time }, { $zone }
send-another = Enviar otro mensaje
send-see-messages = Ver todos los mensajes
error-invalid_number = No es un número de teléfono
error-empty_text = Mensaje vacío
error-invalid_text = No se puede enviar este texto
error-too_long = Mensaje demasiado largo
error-no_consent = Sin consentimiento para publicidad
error-idempotency_conflict = Formulario ya usado
